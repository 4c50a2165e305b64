// Loads the chosen Swagger document of this service into Swagger UI. The bearer token stays in
// this page's memory: it is sent as an Authorization header, never put in the URL or in storage.
(function () {
  "use strict";

  var SCHEMA_PATHS = { sync: "schema", async: "async/schema", bulk: "async/bulk/schema" };
  var form = document.getElementById("schema-form");
  var typeSelect = document.getElementById("schema-type");
  var storeInput = document.getElementById("schema-store");
  var tokenInput = document.getElementById("schema-token");
  var token = "";

  var query = new URLSearchParams(window.location.search);
  if (Object.prototype.hasOwnProperty.call(SCHEMA_PATHS, query.get("type"))) {
    typeSelect.value = query.get("type");
  }
  if (query.get("store")) {
    storeInput.value = query.get("store");
  }

  function authorize(request) {
    if (token) {
      request.headers.Authorization = "Bearer " + token;
    }
    return request;
  }

  function load() {
    var type = typeSelect.value;
    var store = storeInput.value.trim() || "all";
    token = tokenInput.value.trim();
    var state = new URLSearchParams({ type: type, store: store });
    window.history.replaceState(null, "", "?" + state.toString());
    window.ui = SwaggerUIBundle({
      url: "/rest/" + encodeURIComponent(store) + "/" + SCHEMA_PATHS[type] + "?services=all",
      dom_id: "#swagger-ui",
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      deepLinking: false,
      validatorUrl: null,
      requestInterceptor: authorize,
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    load();
  });
  load();
})();
