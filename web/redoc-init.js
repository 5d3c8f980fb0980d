// Starts ReDoc on /openapi.json of the server that served the page. A file of its own because
// the page's Content-Security-Policy allows scripts from this server only, no inline.
'use strict';

window.addEventListener('load', function () {
  Redoc.init('/openapi.json', {}, document.getElementById('redoc'));
});
