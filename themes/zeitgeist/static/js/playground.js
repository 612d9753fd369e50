// The developer hub's Playground: builds a request to the site's static API from an endpoint
// and its parameters, fetches it and shows the JSON with curl / JavaScript / Python snippets.
// Everything is written with textContent or DOM nodes: API data (record text) is untrusted.
(function () {
  "use strict";
  var form = document.getElementById("playground");
  if (!form) return;
  var base = form.getAttribute("data-api-base");
  var endpoint = document.getElementById("pg-endpoint");
  var params = document.getElementById("pg-params");
  var shardHelp = document.getElementById("pg-shard-help");
  var recordId = document.getElementById("pg-record-id");
  var out = {
    url: document.getElementById("pg-url"),
    status: document.getElementById("pg-status"),
    response: document.getElementById("pg-response"),
    curl: document.getElementById("pg-curl"),
    js: document.getElementById("pg-js"),
    python: document.getElementById("pg-python")
  };
  var cache = {};

  // FNV-1a (32-bit) of the id's UTF-8 bytes, modulo 256, as two hex digits: the API's shard rule.
  function shardOf(id) {
    var h = 0x811c9dc5;
    var bytes = new TextEncoder().encode(id);
    for (var i = 0; i < bytes.length; i++) {
      h ^= bytes[i];
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return (h % 256).toString(16).padStart(2, "0");
  }

  function getJson(path) {
    if (!cache[path]) {
      cache[path] = fetch(base + path).then(function (r) {
        if (!r.ok) throw new Error(r.status + " " + r.statusText);
        return r.json();
      });
    }
    return cache[path];
  }

  // Values the API currently has for a parameter, to offer in a list.
  function choices(path, name) {
    if (name === "id" && path.indexOf("/stories/") === 0) {
      return getJson("/stories/index.json").then(function (d) { return d.stories.map(function (s) { return s.id; }); });
    }
    if (name === "slug" && path.indexOf("/beats/") === 0) {
      return getJson("/beats/index.json").then(function (d) { return d.beats.map(function (b) { return b.slug; }); });
    }
    if (name === "date") {
      return getJson("/records/index.json").then(function (d) { return d.days.map(function (x) { return x.date; }); });
    }
    if (name === "page") {
      return getJson("/stories/index.json").then(function (d) {
        var pages = [];
        for (var n = 1; n <= d.pages; n++) pages.push(String(n));
        return pages;
      });
    }
    return Promise.resolve(null);
  }

  function field(name, values) {
    var label = document.createElement("label");
    label.textContent = name + " ";
    var input;
    if (values && values.length) {
      input = document.createElement("select");
      values.forEach(function (v) {
        var option = document.createElement("option");
        option.value = v;
        option.textContent = v;
        input.appendChild(option);
      });
    } else {
      input = document.createElement("input");
      input.type = "text";
    }
    input.name = name;
    input.id = "pg-param-" + name;
    input.addEventListener("change", showRequest);
    input.addEventListener("input", showRequest);
    label.appendChild(input);
    var p = document.createElement("p");
    p.appendChild(label);
    return p;
  }

  function selectedParams() {
    var option = endpoint.options[endpoint.selectedIndex];
    var names = option.getAttribute("data-params");
    return names ? names.split(",") : [];
  }

  function buildParams() {
    var path = endpoint.value;
    while (params.firstChild) params.removeChild(params.firstChild);
    shardHelp.hidden = selectedParams().indexOf("shard") < 0;
    return Promise.all(selectedParams().map(function (name) {
      return choices(path, name).catch(function () { return null; }).then(function (values) {
        return field(name, values);
      });
    })).then(function (fields) {
      fields.forEach(function (f) { params.appendChild(f); });
      showRequest();
    });
  }

  function requestUrl() {
    var path = endpoint.value.replace(/\{(\w+)\}/g, function (_, name) {
      var input = document.getElementById("pg-param-" + name);
      return encodeURIComponent(input ? input.value : "");
    });
    return base + path;
  }

  function showRequest() {
    var url = requestUrl();
    out.url.textContent = "GET " + url;
    out.curl.textContent = "curl -s '" + url + "'";
    out.js.textContent = "const response = await fetch(\"" + url + "\");\nconst data = await response.json();\nconsole.log(data);";
    out.python.textContent = "import json, urllib.request\n\nwith urllib.request.urlopen(\"" + url + "\") as response:\n    data = json.load(response)\nprint(data)";
    return url;
  }

  function send(event) {
    if (event) event.preventDefault();
    var url = showRequest();
    out.status.textContent = "loading…";
    out.response.textContent = "";
    fetch(url).then(function (r) {
      out.status.textContent = r.status + " " + r.statusText;
      return r.ok ? r.json().then(function (data) {
        out.response.textContent = JSON.stringify(data, null, 2);
      }) : null;
    }).catch(function (error) {
      out.status.textContent = "failed: " + error.message;
    });
  }

  recordId.addEventListener("input", function () {
    var input = document.getElementById("pg-param-shard");
    if (input && recordId.value) {
      input.value = shardOf(recordId.value.trim());
      showRequest();
    }
  });
  endpoint.addEventListener("change", buildParams);
  form.addEventListener("submit", send);
  buildParams();
})();
