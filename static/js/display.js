// Values as the pages show them: the twin of model_service/web/display.py, rule for rule, so a
// result shown without reloading reads exactly as the server writes it.
//
// The rounding rule (number), for display only (the raw JSON keeps full precision):
// - an integer below 10^15 in size: all its digits (2.0 is 2);
// - any other number: rounded to SIGNIFICANT (4) significant digits, halves away from zero, on
//   its exact binary value (toExponential / toFixed do exactly that); fixed notation when the
//   rounded exponent is from -4 to 14 (never rounding away digits left of the point: 12345.678
//   is 12346), else 6.072e-7; trailing zeros after the point dropped (0.5000 is 0.5).
// A probability is a percentage with one decimal (98.1%), except exactly 0 and 1 (0%, 100%) and
// values that would round to either of them (<0.1%, >99.9%).
(function () {
  "use strict";

  const SIGNIFICANT = 4;
  const EXACT_INTEGER_LIMIT = 1e15;
  const LONG_TEXT = 120;
  const PROBABILITY_SUM_TOLERANCE = 0.01;

  const isNumber = (value) => typeof value === "number";
  const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

  function stripZeros(text) {
    return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
  }

  function number(value) {
    if (Number.isInteger(value) && Math.abs(value) < EXACT_INTEGER_LIMIT) return String(value);
    if (value === 0) return "0";
    const [mantissa, power] = value.toExponential(SIGNIFICANT - 1).split("e");
    const exponent = Number(power); // after rounding: 9.99996 becomes 1.000e+1
    if (exponent >= -4 && exponent < 15) {
      return stripZeros(value.toFixed(Math.max(0, SIGNIFICANT - 1 - exponent)));
    }
    return stripZeros(mantissa) + "e" + exponent;
  }

  function percent(probability) {
    if (probability === 0 || probability === 1) return probability * 100 + "%";
    const text = (probability * 100).toFixed(1);
    if (text === "0.0" && probability > 0) return "<0.1%";
    if (text === "100.0" && probability < 1) return ">99.9%";
    return text + "%";
  }

  // shlex.quote: a word of safe characters as it is, anything else in single quotes.
  function shellQuote(text) {
    if (text === "") return "''";
    if (!/[^\w@%+=:,./-]/.test(text)) return text;
    return "'" + text.split("'").join("'\"'\"'") + "'";
  }

  function curl(url, body) {
    return "curl -X POST " + shellQuote(url) + " \\\n" +
      "  -H 'Content-Type: application/json' \\\n" +
      "  -d " + shellQuote(JSON.stringify(body));
  }

  // --- A prediction as rows (result_rows in display.py) ------------------------------------

  function isProbabilities(value, hint) {
    const values = Object.values(value);
    if (!values.length) return false;
    const marked = hint.probabilities;
    const numbers = values.every((item) => isNumber(item) && item >= 0 && item <= 1);
    if (marked === true || marked === false) return marked && numbers;
    const sum = values.reduce((total, item) => total + item, 0);
    return numbers && values.length >= 2 && Math.abs(sum - 1) <= PROBABILITY_SUM_TOLERANCE;
  }

  function probabilityBars(value) {
    // Array.prototype.sort is stable: equal probabilities keep their order, as sorted() does.
    const ordered = Object.entries(value).sort((a, b) => b[1] - a[1]);
    const top = ordered[0][1];
    return ordered.map(([label, probability]) => ({
      label: label,
      percent: percent(probability),
      width: (Math.min(Math.max(probability, 0), 1) * 100).toFixed(1),
      winner: probability === top,
    }));
  }

  function splitParagraphs(text) {
    text = text.split("\r\n").join("\n");
    const parts = text.split(/\n[ \t]*\n/).filter((part) => /[^ \t\r\n]/.test(part));
    return parts.length ? parts : [text];
  }

  // Note: a JavaScript object lists integer-like keys ("0", "1") first, in ascending order,
  // whatever order the JSON had; the server keeps the JSON's order.
  function resultRows(value, hints, path) {
    const hint = hints[path] || {};
    if (isObject(value) && Object.keys(value).length) {
      if (isProbabilities(value, hint)) {
        return [{ path: path || "result", kind: "probabilities", bars: probabilityBars(value) }];
      }
      return Object.keys(value).flatMap(
        (key) => resultRows(value[key], hints, path ? path + "." + key : key));
    }
    path = path || "result";
    if (typeof value === "string" && hint.media) {
      const src = value.slice(0, 5).toLowerCase() === "data:" ? value
        : "data:" + hint.media + ";base64," + value;
      return [{ path: path, kind: "media", src: src, image: hint.image === true }];
    }
    if (typeof value === "string") {
      if (hint.multiline === true || value.includes("\n") || Array.from(value).length > LONG_TEXT) {
        return [{ path: path, kind: "text", paragraphs: splitParagraphs(value) }];
      }
      return [{ path: path, kind: "value", text: value }];
    }
    if (isNumber(value)) {
      const unit = typeof hint.unit === "string" && hint.unit ? " " + hint.unit : "";
      return [{ path: path, kind: "value", text: number(value) + unit }];
    }
    return [{ path: path, kind: "value", text: JSON.stringify(value) }];
  }

  // --- The rows as markup: the same elements as templates/_result.html -----------------------

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const SVG = "http://www.w3.org/2000/svg";

  function bar(item) {
    const entry = element("li", "prob" + (item.winner ? " prob-winner" : ""));
    entry.append(element("span", "prob-label text-break", item.label),
      element("span", "prob-percent", item.percent));
    const track = document.createElementNS(SVG, "svg");
    track.setAttribute("class", "prob-track");
    track.setAttribute("viewBox", "0 0 100 1");
    track.setAttribute("preserveAspectRatio", "none");
    track.setAttribute("aria-hidden", "true");
    const fill = document.createElementNS(SVG, "rect");
    fill.setAttribute("class", "prob-fill");
    fill.setAttribute("width", item.width);
    fill.setAttribute("height", "1");
    track.append(fill);
    entry.append(track);
    return entry;
  }

  function renderRow(row) {
    const tr = element("tr");
    tr.dataset.path = row.path;
    tr.dataset.kind = row.kind;
    const head = element("th", "fw-normal");
    head.scope = "row";
    head.append(element("code", "text-break", row.path));
    const cell = element("td", "text-break");
    if (row.kind === "probabilities") {
      const list = element("ol", "prob-chart list-unstyled mb-0");
      list.append(...row.bars.map(bar));
      cell.append(list);
    } else if (row.kind === "media") {
      if (row.image) {
        const picture = element("img", "media-output");
        picture.src = row.src;
        picture.alt = row.path + ", as the model answered";
        cell.append(picture);
      }
      const link = element("a", "media-download", "Download " + row.path);
      link.href = row.src;
      link.download = row.path;
      cell.append(link);
    } else if (row.kind === "text") {
      cell.append(...row.paragraphs.map((text) => element("p", "text-output", text)));
    } else {
      cell.textContent = row.text;
    }
    tr.append(head, cell);
    return tr;
  }

  window.ModelServiceDisplay = {
    number: number,
    percent: percent,
    curl: curl,
    resultRows: (value, hints) => resultRows(value, hints || {}, ""),
    renderRow: renderRow,
  };
})();
