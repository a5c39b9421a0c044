/*
 * The planner page's downloads that are too large for a data: link (the training bundle zip): .NET streams the bytes
 * over the circuit (DotNetStreamReference), the browser saves them under the given name.
 */
export async function saveStream(fileName, mediaType, streamRef) {
  const buffer = await streamRef.arrayBuffer();
  const url = URL.createObjectURL(new Blob([buffer], { type: mediaType }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
