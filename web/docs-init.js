// Starts Swagger UI on /openapi.json of the server that served the page. A file of its own
// because the page's Content-Security-Policy allows scripts from this server only, no inline.
'use strict';

window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    // "Try it out" is open on every operation; requests go to this same server.
    tryItOutEnabled: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // No badge from the online validator: the page talks to this server only.
    validatorUrl: null,
    // Whatever `servers` the document names, "Try it out" calls the server that served the
    // page: the documentation of a site is tried on that site (and the CSP allows no other).
    requestInterceptor: function (request) {
      var target = new URL(request.url, window.location.href);
      if (target.origin !== window.location.origin) {
        request.url = window.location.origin + target.pathname + target.search;
      }
      return request;
    },
  });
});
