// The images panel answers a refused upload (422) or a store that cannot take it (503) with the panel itself,
// each error beside its field. htmx swaps only 2xx answers unless told otherwise: tell it, for this panel only.
document.addEventListener("htmx:beforeSwap", function (event) {
  var detail = event.detail;
  if (detail.target && detail.target.id === "media" && [422, 503].indexOf(detail.xhr.status) >= 0) {
    detail.shouldSwap = true;
    detail.isError = false;
  }
});
