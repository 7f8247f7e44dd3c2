// The prediction form, enhanced: rows can be added and removed, and submitting calls the JSON
// API with fetch, showing the prediction or the field errors without a reload.
//
// The form works without this script (the server reads it by the same rules, in
// model_service/web/form_parsing.py and core/values.py): every field is an element with data-field, data-kind ("object",
// "array", "boolean", "enum", "integer", "number", "string", "json"), data-key (its property
// name) and data-required; each holds one [data-control] and one [data-errors] of its own.
(function () {
  "use strict";

  const form = document.getElementById("prediction-form");
  if (!form) return;

  const formErrors = document.getElementById("form-errors");
  const result = document.getElementById("result");
  const busy = document.getElementById("predict-busy");
  const button = document.getElementById("predict-button");
  const INTEGER = /^[+-]?[0-9]+$/;
  const NUMBER = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

  // --- Structure -------------------------------------------------------------------------

  function parentField(element) {
    return element.parentElement ? element.parentElement.closest("[data-field]") : null;
  }

  function ownChildren(field) {
    return Array.from(field.querySelectorAll("[data-field]")).filter(
      (child) => parentField(child) === field);
  }

  function own(field, selector) {
    return Array.from(field.querySelectorAll(selector)).find(
      (element) => element.closest("[data-field]") === field) || null;
  }

  // --- Rows of arrays ----------------------------------------------------------------------

  function reveal(root) {
    root.querySelectorAll("[data-add-row], [data-remove-row]").forEach((b) => { b.hidden = false; });
  }

  function rowsOf(array) {
    return Array.from(array.querySelector("[data-rows]").children);
  }

  function refreshRows(array) {
    const rows = rowsOf(array);
    rows.forEach((row, position) => {
      row.querySelectorAll(".row-number").forEach((span) => {
        if (span.closest("[data-row]") === row) span.textContent = String(position + 1);
      });
    });
    const limit = array.dataset.maxItems;
    const add = own(array, "[data-add-row]");
    if (add) add.disabled = limit !== undefined && rows.length >= Number(limit);
  }

  function addRow(array) {
    const template = own(array, "template[data-row-template]");
    const index = Number(array.dataset.nextIndex);
    array.dataset.nextIndex = String(index + 1);
    const html = template.innerHTML.split(array.dataset.placeholder).join(String(index));
    const list = array.querySelector("[data-rows]");
    list.insertAdjacentHTML("beforeend", html);
    const row = list.lastElementChild;
    reveal(row);
    row.querySelectorAll("[data-field][data-kind='array']").forEach(refreshRows);
    refreshRows(array);
    const first = row.querySelector("[data-control]");
    if (first) first.focus();
  }

  function removeRow(row) {
    const array = parentField(row);
    row.remove();
    refreshRows(array);
    const add = own(array, "[data-add-row]");
    if (add) add.focus();
  }

  form.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-row]");
    if (add) { addRow(parentField(add)); return; }
    const remove = event.target.closest("[data-remove-row]");
    if (remove) removeRow(remove.closest("[data-row]"));
  });

  // --- Reading the form as JSON (the rules of core/values.py: text_to_value) ---------------

  function coerce(kind, raw) {
    if (kind === "number" || kind === "integer") {
      const text = raw.trim();
      if (INTEGER.test(text) || NUMBER.test(text)) {
        const number = Number(text);
        return Number.isFinite(number) ? number : raw;
      }
      return raw;
    }
    if (kind === "enum" || kind === "json") {
      try { return JSON.parse(raw); } catch (error) { return raw; }
    }
    return raw;
  }

  // Returns [value or undefined, whether anything differs from the untouched form].
  function read(field, path, locations) {
    locations.set(JSON.stringify(path), field);
    const kind = field.dataset.kind;
    const required = field.hasAttribute("data-required");
    if (kind === "object") {
      const value = {};
      let changed = false;
      ownChildren(field).forEach((child) => {
        const key = child.dataset.key;
        const [childValue, childChanged] = read(child, path.concat([key]), locations);
        if (childValue !== undefined) value[key] = childValue;
        changed = changed || childChanged;
      });
      return [changed || required ? value : undefined, changed];
    }
    if (kind === "array") {
      const items = [];
      let changed = false;
      ownChildren(field).forEach((child) => {
        const [item, itemChanged] = read(child, path.concat([String(items.length)]), locations);
        if (item !== undefined) items.push(item);
        changed = changed || itemChanged;
      });
      return [items.length || required ? items : undefined, changed];
    }
    const control = own(field, "[data-control]");
    if (kind === "media") {  // the chosen file, read into the hidden input as a data: URI
      const kept = own(field, "[data-kept]");
      return [kept.value === "" ? undefined : kept.value, kept.value !== (control.dataset.default || "")];
    }
    if (kind === "boolean") {
      return [control.checked, control.checked !== (control.dataset.default === "true")];
    }
    const raw = control.value;
    return [raw === "" ? undefined : coerce(kind, raw), raw !== (control.dataset.default || "")];
  }

  // --- Showing errors and results ----------------------------------------------------------

  function clearErrors() {
    form.querySelectorAll("[data-errors]").forEach((box) => { box.replaceChildren(); box.hidden = true; });
    form.querySelectorAll("[data-control]").forEach((control) => {
      control.classList.remove("is-invalid");
      control.removeAttribute("aria-invalid");
    });
    formErrors.querySelector("ul").replaceChildren();
    formErrors.hidden = true;
  }

  function showFormErrors(messages) {
    const list = formErrors.querySelector("ul");
    messages.forEach((message) => {
      const item = document.createElement("li");
      item.textContent = message;
      list.append(item);
    });
    formErrors.hidden = false;
  }

  // The rule of flatten_errors in model_service/core/values.py: a mapping's keys extend the path,
  // except "_schema"; a list holds messages (or nested errors) at the same path.
  function flatten(errors, path, out) {
    if (Array.isArray(errors)) {
      errors.forEach((message) => {
        if (message !== null && typeof message === "object") flatten(message, path, out);
        else out.push([path, String(message)]);
      });
    } else if (errors !== null && typeof errors === "object") {
      Object.keys(errors).forEach((key) => {
        flatten(errors[key], key === "_schema" ? path : path.concat([key]), out);
      });
    } else {
      out.push([path, String(errors)]);
    }
    return out;
  }

  function showFieldError(field, message) {
    const box = own(field, "[data-errors]");
    const line = document.createElement("div");
    line.textContent = message;
    box.append(line);
    box.hidden = false;
    const control = own(field, "[data-control]");
    if (control) {
      control.classList.add("is-invalid");
      control.setAttribute("aria-invalid", "true");
    }
  }

  // Messages in people's words: the rules of model_service/web/messages.py, sent by the server.
  const messageRules = JSON.parse(form.dataset.messages || "[]").map(
    ([pattern, template]) => [new RegExp(pattern), template]);

  function tidy(text) {
    const number = Number(text);
    return NUMBER.test(text) && Number.isFinite(number) ? String(number) : text;
  }

  function inWords(message) {
    for (const [pattern, template] of messageRules) {
      const match = pattern.exec(message);
      if (match) return template.replace(/\{(\d)\}/g, (_, group) => tidy(match[Number(group)]));
    }
    return message;
  }

  function showErrors(problem, locations) {
    const general = [form.dataset.fieldsMessage];
    flatten(problem.errors || {}, [], []).forEach(([path, original]) => {
      const message = inWords(original);
      let at = path.length;
      while (at > 0 && !locations.has(JSON.stringify(path.slice(0, at)))) at -= 1;
      const field = locations.get(JSON.stringify(path.slice(0, at)));
      const text = at < path.length ? path.slice(at).join(".") + ": " + message : message;
      if (field === form) general.push(text);
      else showFieldError(field, text);
    });
    showFormErrors(general);
    const firstInvalid = form.querySelector("[data-control].is-invalid");
    (firstInvalid || formErrors).focus();
  }

  // The rows, rounding and charts of display.js: the same rules as the server's display.py.
  const display = window.ModelServiceDisplay;
  const hints = JSON.parse(result.dataset.hints || "{}");

  function showResult(prediction) {
    const rows = display.resultRows(prediction, hints);
    document.getElementById("result-rows").replaceChildren(...rows.map(display.renderRow));
    document.getElementById("result-json").textContent = JSON.stringify(prediction, null, 2);
    result.hidden = false;
    document.getElementById("result-heading").focus();
  }

  function showRequest(body) {
    document.getElementById("request-json").textContent = JSON.stringify(body, null, 2);
    document.getElementById("curl-command").textContent = display.curl(form.dataset.curlUrl, body);
    document.getElementById("request-body").hidden = false;
    document.getElementById("request-curl").hidden = false;
  }

  // --- Files: read as data: URIs when chosen, so the JSON body can carry them ---------------

  const reading = new Set();

  form.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-media]") || !input.files.length) return;
    const field = input.closest("[data-field]");
    const kept = own(field, "[data-kept]");
    const preview = own(field, "[data-kept-preview]");
    const done = new Promise((resolve) => {
      const reader = new FileReader();
      reader.addEventListener("load", () => {
        kept.value = reader.result;
        if (preview) {
          const picture = preview.querySelector("img");
          if (picture) picture.src = reader.result;
          preview.hidden = false;
        }
        resolve();
      });
      reader.addEventListener("error", resolve);
      reader.readAsDataURL(input.files[0]);
    });
    reading.add(done);
    done.then(() => reading.delete(done));
  });

  // --- Submitting through the JSON API -----------------------------------------------------

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await Promise.all(Array.from(reading));
    const locations = new Map();
    const body = read(form, [], locations)[0] || {};
    clearErrors();
    result.hidden = true;
    showRequest(body);
    button.disabled = true;
    busy.hidden = false;
    try {
      const response = await fetch(form.dataset.apiUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      const answer = await response.json().catch(() => null);
      if (response.ok) showResult(answer);
      else if (response.status === 422 && answer) showErrors(answer, locations);
      else {
        const messages = [(answer && answer.detail) || `The service answered ${response.status}.`];
        const requestId = (answer && answer.request_id) || response.headers.get("X-Request-ID");
        if (response.status >= 500 && requestId) {
          messages.push(form.dataset.requestIdNote.replace("{}", requestId));
        }
        showFormErrors(messages);
        formErrors.focus();
      }
    } catch (error) {
      showFormErrors(["The service could not be reached. Check the connection and try again."]);
      formErrors.focus();
    } finally {
      button.disabled = false;
      busy.hidden = true;
    }
  });

  reveal(form);
  form.querySelectorAll("[data-field][data-kind='array']").forEach(refreshRows);
})();
