// Start Swagger UI on the API docs page. Kept in a file of its own so the page needs no inline
// script under the Content-Security-Policy; the document's URL comes from a data attribute.
(function () {
  "use strict";

  function start() {
    var root = document.getElementById("swagger-ui");
    window.ui = SwaggerUIBundle({
      url: root.dataset.specUrl,
      domNode: root,
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      validatorUrl: null,
      displayOperationId: true,
      displayRequestDuration: true,
      defaultModelsExpandDepth: 1,
      tryItOutEnabled: false
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
