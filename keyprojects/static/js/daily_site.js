// The site app on the phone (the pages of keyprojects.daily.site): registers the service worker, keeps a daily
// report written without a network in IndexedDB, photos included (made smaller here first, their EXIF date
// and place read before the smaller copy drops them), and sends the waiting drafts when the network is back.
// Each draft has its own key: the server files a draft once however often it arrives.
(function () {
  "use strict";
  var app = document.getElementById("site-app");
  if (!app) return;
  var T = JSON.parse(document.getElementById("site-strings").textContent);
  var DB_NAME = "keyprojects-site";
  var STORE = "drafts";
  var MAX_SIDE = 1600;
  var SEND_TIMEOUT_MS = 30000;
  var RETRY_MS = 20000;

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  // ---- IndexedDB ---------------------------------------------------------------------------------------------
  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "key" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }
  function allDrafts() { return withStore("readonly", function (s) { return s.getAll(); }); }
  function putDraft(draft) { return withStore("readwrite", function (s) { s.put(draft); }); }
  function deleteDraft(key) { return withStore("readwrite", function (s) { s.delete(key); }); }

  // ---- keys and dates ----------------------------------------------------------------------------------------
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localDay(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
  function offsetOf(d) {
    var minutes = -d.getTimezoneOffset();
    var sign = minutes >= 0 ? "+" : "-";
    minutes = Math.abs(minutes);
    return sign + pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60);
  }

  // ---- EXIF: the date and place a photo was taken ------------------------------------------------------------
  function exifOf(buffer) {
    var view = new DataView(buffer);
    if (view.byteLength < 4 || view.getUint16(0) !== 0xffd8) return null;
    var offset = 2;
    while (offset + 4 <= view.byteLength) {
      var marker = view.getUint16(offset);
      var length = view.getUint16(offset + 2);
      if (marker === 0xffe1 && view.getUint32(offset + 4) === 0x45786966) return tiff(view, offset + 10);
      if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) return null;
      offset += 2 + length;
    }
    return null;
  }
  function tiff(view, start) {
    if (start + 8 > view.byteLength) return null;
    var little = view.getUint16(start) === 0x4949;
    function u16(at) { return view.getUint16(start + at, little); }
    function u32(at) { return view.getUint32(start + at, little); }
    function entries(at) {
      var found = {};
      if (start + at + 2 > view.byteLength) return found;
      var count = u16(at);
      for (var i = 0; i < count; i++) {
        var e = at + 2 + i * 12;
        if (start + e + 12 > view.byteLength) break;
        found[u16(e)] = { type: u16(e + 2), count: u32(e + 4), value: e + 8 };
      }
      return found;
    }
    function ascii(entry) {
      var at = entry.count > 4 ? u32(entry.value) : entry.value;
      var text = "";
      for (var i = 0; i < entry.count && start + at + i < view.byteLength; i++) {
        var c = view.getUint8(start + at + i);
        if (c === 0) break;
        text += String.fromCharCode(c);
      }
      return text;
    }
    function rationals(entry) {
      var at = u32(entry.value);
      var values = [];
      for (var i = 0; i < entry.count; i++) {
        var den = u32(at + i * 8 + 4);
        values.push(den ? u32(at + i * 8) / den : 0);
      }
      return values;
    }
    try {
      var ifd0 = entries(u32(4));
      var meta = {};
      if (ifd0[0x8769]) {
        var exif = entries(u32(ifd0[0x8769].value));
        var when = exif[0x9003] && ascii(exif[0x9003]).match(/^(\d{4}):(\d\d):(\d\d) (\d\d):(\d\d):(\d\d)/);
        if (when) {
          var offset = exif[0x9011] ? ascii(exif[0x9011]) : "";
          if (!/^[+-]\d\d:\d\d$/.test(offset)) {
            offset = offsetOf(new Date(+when[1], +when[2] - 1, +when[3], +when[4], +when[5], +when[6]));
          }
          meta.taken_at = when[1] + "-" + when[2] + "-" + when[3] + "T" + when[4] + ":" + when[5] + ":" + when[6] + offset;
        }
      }
      if (ifd0[0x8825]) {
        var gps = entries(u32(ifd0[0x8825].value));
        if (gps[2] && gps[4] && gps[2].count === 3 && gps[4].count === 3) {
          var lat = rationals(gps[2]);
          var lng = rationals(gps[4]);
          var latitude = lat[0] + lat[1] / 60 + lat[2] / 3600;
          var longitude = lng[0] + lng[1] / 60 + lng[2] / 3600;
          if (gps[1] && ascii(gps[1]) === "S") latitude = -latitude;
          if (gps[3] && ascii(gps[3]) === "W") longitude = -longitude;
          meta.latitude = latitude.toFixed(6);
          meta.longitude = longitude.toFixed(6);
        }
      }
      return meta;
    } catch (broken) {
      return null; // a broken EXIF block: the photo is still a photo
    }
  }

  // ---- photos made smaller on the phone ----------------------------------------------------------------------
  function shrink(file) {
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.85); });
    });
  }
  function preparePhoto(file) {
    return file.arrayBuffer().then(function (buffer) {
      var meta = exifOf(buffer);
      return shrink(file).then(
        function (blob) {
          if (!blob) throw new Error("encode");
          return { blob: blob, name: file.name.replace(/\.[^.]*$/, "") + ".jpg", meta: meta };
        },
        function () { throw new Error(fmt(T.not_a_photo, { name: file.name })); }
      );
    });
  }

  // ---- sending -----------------------------------------------------------------------------------------------
  function csrfToken() {
    var cookie = document.cookie.split("; ").filter(function (c) { return c.indexOf("csrftoken=") === 0; })[0];
    if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function body(draft) {
    var data = new FormData();
    Object.keys(draft.fields).forEach(function (name) { data.append(name, draft.fields[name]); });
    data.append("idempotency_key", draft.key);
    draft.photos.forEach(function (photo) {
      data.append("photos", new File([photo.blob], photo.name, { type: "image/jpeg" }));
    });
    data.append("photo_meta", JSON.stringify(draft.photos.map(function (p) { return p.meta; })));
    return data;
  }
  function post(draft) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, SEND_TIMEOUT_MS);
    return fetch(draft.url, {
      method: "POST",
      body: body(draft),
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      signal: controller.signal,
    }).finally(function () { clearTimeout(timer); });
  }
  // What became of one draft: "sent", "refused" (kept, with the reason, for the user to see), or "waiting".
  function sendOne(draft) {
    return post(draft).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (response.ok) {
        return response.json().then(function (answer) {
          return deleteDraft(draft.key).then(function () { return { state: "sent", message: answer.message }; });
        });
      }
      if (json && (response.status === 400 || response.status === 403 || response.status === 404)) {
        return response.json().then(function (answer) {
          var reasons = answer.error ? [answer.error] : [];
          Object.keys(answer.errors || {}).forEach(function (field) { reasons = reasons.concat(answer.errors[field]); });
          draft.state = "refused";
          draft.reason = reasons.join(" ");
          return putDraft(draft).then(function () { return { state: "refused" }; });
        });
      }
      if (response.status === 401) draft.reason = T.log_in_again;
      else draft.reason = "";
      return putDraft(draft).then(function () { return { state: "waiting" }; }); // 5xx, a stale session: later
    }, function () {
      return { state: "waiting" }; // no network, or no answer in time: the draft waits; its key makes a retry safe
    });
  }
  var sending = null;
  function sendWaiting() {
    if (sending) return sending;
    sending = allDrafts().then(function (drafts) {
      var waiting = drafts.filter(function (d) { return d.state === "waiting"; });
      return waiting.reduce(function (chain, draft) {
        return chain.then(function (results) {
          return sendOne(draft).then(function (result) { return results.concat([result]); });
        });
      }, Promise.resolve([]));
    }).then(function (results) {
      var sent = results.filter(function (r) { return r.state === "sent"; });
      if (sent.length) {
        say(sent.map(function (r) { return r.message; }).join(" "), "success");
        // The page shows what is filed now (and the phone keeps that copy of it).
        if (form) window.setTimeout(function () { window.location.reload(); }, 1500);
      }
      return showDrafts().then(function () { return results; });
    }).finally(function () { sending = null; });
    return sending;
  }

  // ---- what the user sees ------------------------------------------------------------------------------------
  var status = document.getElementById("site-status");
  function say(text, kind) {
    if (!status) return;
    status.textContent = text;
    status.className = "message " + (kind || "info");
    status.hidden = !text;
  }
  function showDrafts() {
    var box = document.getElementById("site-drafts");
    if (!box) return Promise.resolve();
    return allDrafts().then(function (drafts) {
      var list = box.querySelector("ul");
      list.textContent = "";
      drafts.sort(function (a, b) { return a.saved_at < b.saved_at ? -1 : 1; });
      drafts.forEach(function (draft) {
        var item = document.createElement("li");
        item.dataset.draft = draft.key;
        item.dataset.state = draft.state;
        var label = document.createElement("span");
        label.textContent = draft.label + " · " + draft.fields.day + " · " +
          (draft.state === "refused" ? T.refused : T.waiting) +
          (draft.photos.length ? " · " + fmt(T.photos, { n: draft.photos.length }) : "");
        item.appendChild(label);
        if (draft.reason) {
          var reason = document.createElement("span");
          reason.className = draft.state === "refused" ? "error" : "muted";
          reason.textContent = " " + draft.reason;
          item.appendChild(reason);
        }
        if (draft.state === "refused") {
          var discard = document.createElement("button");
          discard.type = "button";
          discard.className = "button small secondary";
          discard.textContent = T.discard;
          discard.addEventListener("click", function () {
            if (window.confirm(T.discard_confirm)) deleteDraft(draft.key).then(showDrafts);
          });
          item.appendChild(document.createTextNode(" "));
          item.appendChild(discard);
        }
        list.appendChild(item);
      });
      var waiting = drafts.filter(function (d) { return d.state === "waiting"; }).length;
      box.querySelector("[data-testid=drafts-waiting]").textContent = String(waiting);
      box.hidden = drafts.length === 0;
    });
  }

  // ---- the form ----------------------------------------------------------------------------------------------
  var form = document.querySelector("form[data-site-form]");
  function freshDraftKey() {
    var input = form.querySelector("input[name=idempotency_key]");
    input.value = newKey();
  }
  if (form) {
    // A page kept from another day still writes today's report, with a key of its own.
    var section = document.getElementById("site-form-section");
    var today = localDay(new Date());
    var day = form.querySelector("input[name=day]");
    if (app.dataset.day !== today) {
      if (section) section.hidden = false;
      if (day && day.value < today) day.value = today;
    }
    if (day && !day.value) day.value = today;
    freshDraftKey();
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!form.reportValidity()) return;
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      var fields = {};
      new FormData(form).forEach(function (value, name) {
        if (name !== "photos" && name !== "csrfmiddlewaretoken" && name !== "idempotency_key" && name !== "photo_meta") {
          fields[name] = value;
        }
      });
      var files = Array.prototype.slice.call(form.querySelector("input[name=photos]").files || []);
      Promise.all(files.map(preparePhoto)).then(function (photos) {
        var draft = {
          key: form.querySelector("input[name=idempotency_key]").value,
          url: form.dataset.sendUrl,
          label: form.dataset.projectLabel,
          fields: fields,
          photos: photos,
          state: "waiting",
          reason: "",
          saved_at: new Date().toISOString(),
        };
        return putDraft(draft).then(function () {
          form.reset();
          freshDraftKey();
          if (day) day.value = draft.fields.day;
          say(navigator.onLine ? T.sending : T.kept_offline, "info");
          return showDrafts();
        }).then(sendWaiting);
      }).catch(function (error) {
        say(error.message, "error");
      }).finally(function () { button.disabled = false; });
    });
  }

  // ---- the service worker, and keeping the pages for offline use ---------------------------------------------
  function controlled() {
    if (navigator.serviceWorker.controller) return Promise.resolve();
    return new Promise(function (resolve) {
      navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true });
    });
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(app.dataset.worker, { scope: app.dataset.home })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(controlled)
      .then(function () {
        if (!navigator.onLine) return;
        // Keep this page and the app's other pages (the start page keeps each project's form).
        var keep = [window.location.pathname, app.dataset.home];
        document.querySelectorAll("a[data-keep]").forEach(function (a) { keep.push(a.getAttribute("href")); });
        return Promise.all(keep.map(function (url) {
          return fetch(url, { credentials: "same-origin", headers: { "Keyprojects-Keep": "1" } }).catch(function () {});
        }));
      })
      .then(function () { document.documentElement.dataset.offlineReady = "1"; })
      .catch(function () { /* no service worker (an old browser, a plain-http address): online only */ });
  }

  window.addEventListener("online", function () { say("", ""); sendWaiting(); });
  window.addEventListener("offline", function () { say(T.offline, "info"); });
  window.setInterval(function () { if (navigator.onLine) sendWaiting(); }, RETRY_MS);
  showDrafts().then(function () { if (navigator.onLine) return sendWaiting(); });
  if (!navigator.onLine) say(T.offline, "info");
  // For the browser tests: send now, read the drafts, and whether a round of sending is under way.
  window.keyprojectsSite = {
    sendWaiting: sendWaiting,
    allDrafts: allDrafts,
    busy: function () { return sending !== null; },
  };
})();
