// The API docs page: starts Swagger UI (served from static/vendor/swagger-ui/) with the settings the page
// carries, and sends the session's CSRF token with the requests "Try it out" makes.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("swagger-settings").textContent);
  const csrfToken = document.body.dataset.csrfToken;
  config.dom_id = "#swagger-ui";
  config.presets = [window.SwaggerUIBundle.presets.apis];
  if (csrfToken) {
    config.requestInterceptor = function (request) {
      request.headers["X-CSRFToken"] = csrfToken;
      return request;
    };
  }
  window.ui = window.SwaggerUIBundle(config);
})();
