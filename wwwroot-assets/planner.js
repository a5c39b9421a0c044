/*
 * The planner page's downloads that need a POST (the training bundle zip, which the REST API builds): the file goes
 * straight from the endpoint API clients use to the browser.
 */

/*
 * POSTs a JSON body to one of the planner's REST downloads with the page's antiforgery token and saves the answer as a
 * file (the name from Content-Disposition). Returns { status, body }: status 200 with an empty body once saved, or the
 * refusal (a ValidationProblem's JSON) for .NET to put on the form's fields; status 0 when the request failed.
 */
export async function postDownload(url, json) {
  const token = document.querySelector('meta[name="portal-csrf"]')?.content;
  const headers = { "Content-Type": "application/json", "Accept": "application/json, application/zip, */*" };
  if (token) headers["X-CSRF-TOKEN"] = token;
  let response;
  try {
    response = await fetch(url, { method: "POST", headers, body: json, credentials: "same-origin" });
  } catch {
    return { status: 0, body: "" };
  }
  if (!response.ok) return { status: response.status, body: await response.text() };
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const fileName = match ? decodeURIComponent(match[1]) : "download";
  const url2 = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url2;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url2), 60000);
  return { status: response.status, body: "" };
}
