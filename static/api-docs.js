// /api/docs: Swagger UI (static/vendor/swagger-ui-*) renders Herald's OpenAPI document.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("swagger-ui");
    if (!root || !window.SwaggerUIBundle) return;
    window.SwaggerUIBundle({
      url: root.getAttribute("data-spec-url"),
      domNode: root,
      deepLinking: true,
      // Nothing leaves this server: no validator badge calling validator.swagger.io.
      validatorUrl: null,
      tryItOutEnabled: false
    });
  });
})();
