// DeepSeek Portal browser module (served at /assets/portal.js, imported by components through JS interop).

/** The browser's IANA time zone, e.g. "Asia/Shanghai". */
export function timeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** The antiforgery token every page exposes in <meta name="portal-csrf">; null where a page has none. */
function csrfToken() {
  return document.querySelector('meta[name="portal-csrf"]')?.getAttribute("content") || null;
}

/**
 * Wires a drop zone and a file input to upload one file at a time to `url` with XHR, outside the Blazor circuit:
 * the file goes straight to the same endpoint API clients use, and only progress and the answer go to .NET.
 * `component` (a DotNetObjectReference) gets:
 *   fieldsFor(fileName, size) -> { name, description } or null to refuse the file,
 *   progress(loaded, total)   at most every 100 ms while sending,
 *   finished(status, body)    with the HTTP status (0 when the request failed) and the response text.
 */
export function attachUpload(zone, input, url, component) {
  let busy = false;

  async function send(file) {
    if (busy || !file) return;
    const fields = await component.invokeMethodAsync("fieldsFor", file.name, file.size);
    if (!fields) return;
    busy = true;
    zone.setAttribute("aria-busy", "true");
    const form = new FormData();
    form.append("file", file, file.name);
    if (fields.name) form.append("name", fields.name);
    if (fields.description) form.append("description", fields.description);

    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    const token = csrfToken();
    if (token) xhr.setRequestHeader("X-CSRF-TOKEN", token);
    let last = 0;
    xhr.upload.addEventListener("progress", e => {
      const now = performance.now();
      // Progress crosses the circuit: a few updates a second are plenty for a bar.
      if (now - last < 100 && e.loaded < e.total) return;
      last = now;
      component.invokeMethodAsync("progress", e.loaded, e.lengthComputable ? e.total : file.size);
    });
    const done = status => {
      busy = false;
      zone.removeAttribute("aria-busy");
      input.value = "";
      component.invokeMethodAsync("finished", status, xhr.responseText || "");
    };
    xhr.addEventListener("load", () => done(xhr.status));
    xhr.addEventListener("error", () => done(0));
    xhr.addEventListener("abort", () => done(0));
    xhr.send(form);
  }

  input.addEventListener("change", () => send(input.files && input.files[0]));
  zone.addEventListener("dragover", e => {
    e.preventDefault();
    zone.classList.add("upload-drop--over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("upload-drop--over"));
  zone.addEventListener("drop", e => {
    e.preventDefault();
    zone.classList.remove("upload-drop--over");
    send(e.dataTransfer && e.dataTransfer.files[0]);
  });
}

/**
 * Appends points to a Plotly chart drawn by Plotly.Blazor. `parts` is a list of { indices, update, customdata? },
 * each one Plotly.extendTraces call, i.e. one redraw: send every trace of an update in one part. `customdata`
 * ({ index, values }) is appended in place to that one trace's customdata (the hover text reads it: step, smoothed
 * loss, learning rate, gradient norm, time, tokens) before the call, since extendTraces can only extend an attribute
 * that every trace it names carries; the redraw then picks it up.
 */
export function extendChart(id, parts) {
  const el = document.getElementById(id);
  if (!el || !window.Plotly || !el.data) return false;
  for (const part of parts) {
    const extra = part.customdata;
    if (extra && el.data[extra.index] && Array.isArray(el.data[extra.index].customdata))
      for (const row of extra.values) el.data[extra.index].customdata.push(row);
    window.Plotly.extendTraces(el, part.update, part.indices);
  }
  return true;
}
