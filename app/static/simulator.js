// The development simulator: every action becomes a real signed push to /wechat (see app/web/dev.py).
(function () {
  "use strict";
  var chat = document.getElementById("chat");
  var openidInput = document.getElementById("openid");
  var sheet = document.getElementById("scan-sheet");
  var scanError = document.getElementById("scan-error");
  var seenMessages = 0;
  // The app checks a CSRF token on every POST (app/web/security.py); the page carries one.
  var CSRF = document.querySelector('meta[name="csrf-token"]').content;
  var LINK = /<a href="(https?:\/\/[^"<>]+)">([^<]*)<\/a>/g;

  function openid() { return openidInput.value.trim() || "o-simulator-0001"; }

  var BARE_URL = /https?:\/\/[^\s<>"]+/g;

  // The menu's pages and the links in messages we are sent open as the simulator's user (the openid
  // above), as in WeChat's browser: through /dev/simulator/open, which signs that openid in. Links in
  // replies (signed 输入查询 pages) carry their own proof and open as they are; code pages (/v/, the
  // inspector view) open as the user too, since WeChat's browser signs an inspector in on them.
  function asUser(url) {
    var target = new URL(url, location.href);
    var path = target.pathname;
    if (path.indexOf("/h5/") !== 0 && !/^\/(v|V|inspect\/v|inspect\/V)\//.test(path)) { return target.href; }
    return location.origin + "/dev/simulator/open?openid=" + encodeURIComponent(openid()) +
      "&next=" + encodeURIComponent(target.pathname + target.search);
  }

  function link(node, href, label) {
    var a = document.createElement("a");
    a.href = href; a.target = "_blank"; a.rel = "noopener noreferrer"; a.textContent = label;
    node.appendChild(a);
  }

  // Plain text; in messages we are sent, bare URLs become links (WeChat shows them so).
  function plainText(node, text, sent) {
    var last = 0, match;
    BARE_URL.lastIndex = 0;
    while (sent && (match = BARE_URL.exec(text)) !== null) {
      node.appendChild(document.createTextNode(text.slice(last, match.index)));
      link(node, asUser(match[0]), match[0]);
      last = BARE_URL.lastIndex;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
  }

  // Reply text may hold <a href> links (WeChat renders them); everything else stays plain text.
  function richText(node, text, sent) {
    var last = 0, match;
    LINK.lastIndex = 0;
    while ((match = LINK.exec(text)) !== null) {
      plainText(node, text.slice(last, match.index), sent);
      link(node, asUser(match[1]), match[2]);
      last = LINK.lastIndex;
    }
    plainText(node, text.slice(last), sent);
  }

  function bubble(side, text, tag, sent) {
    var row = document.createElement("div");
    row.className = "msg " + side;
    var b = document.createElement("div");
    b.className = "bubble" + (side === "system" ? " event" : "");
    if (tag) { var t = document.createElement("span"); t.className = "tag"; t.textContent = tag; b.appendChild(t); }
    richText(b, text, sent);
    row.appendChild(b);
    chat.appendChild(row);
    chat.scrollTop = chat.scrollHeight;
    return row;
  }

  function news(item) {
    var row = document.createElement("div");
    row.className = "msg them";
    var a = document.createElement("a");
    a.className = "news"; a.href = item.url; a.target = "_blank"; a.rel = "noopener noreferrer";
    var s = document.createElement("strong"); s.textContent = item.title;
    var d = document.createElement("span"); d.textContent = item.description;
    a.appendChild(s); a.appendChild(d); row.appendChild(a); chat.appendChild(row);
    chat.scrollTop = chat.scrollHeight;
  }

  function post(url, body) {
    return fetch(url, {method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": CSRF}, body: JSON.stringify(body)})
      .then(function (res) { return res.json(); });
  }

  function send(action) {
    action.openid = openid();
    return post("/dev/simulator/send", action).then(function (data) {
      if (data.error) { bubble("system", "模拟器错误：" + data.error); return; }
      if (data.status !== 200) { bubble("system", "服务器返回 HTTP " + data.status); return; }
      (data.replies || []).forEach(function (r) {
        if (r.type === "news") { news(r); } else { bubble("them", r.content); }
      });
    }).catch(function () { bubble("system", "网络错误，请重试"); });
  }

  document.getElementById("composer").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = document.getElementById("text");
    var text = input.value.trim();
    if (!text) { return; }
    bubble("me", text);
    input.value = "";
    send({kind: "text", content: text});
  });

  document.getElementById("subscribe").addEventListener("click", function () {
    bubble("system", "你关注了公众号");
    send({kind: "subscribe"});
  });

  Array.prototype.forEach.call(document.querySelectorAll(".menu-btn"), function (btn) {
    btn.addEventListener("click", function () {
      var type = btn.dataset.type;
      if (type === "click") { bubble("system", "点击菜单：" + btn.textContent); send({kind: "click", key: btn.dataset.key}); }
      else if (type === "view") { send({kind: "view", key: btn.dataset.url}); window.open(asUser(btn.dataset.url), "_blank"); }
      else { sheet.hidden = false; sheet.dataset.key = btn.dataset.key; scanError.hidden = true; }
    });
  });

  document.getElementById("scan-cancel").addEventListener("click", function () { sheet.hidden = true; });

  function scanText(text) {
    sheet.hidden = true;
    bubble("system", "扫描了二维码：" + text);
    return send({kind: "scan", content: text, key: sheet.dataset.key || ""});
  }

  document.getElementById("scan-go").addEventListener("click", function () {
    var text = document.getElementById("scan-text").value.trim();
    var file = document.getElementById("scan-image").files[0];
    if (text) { scanText(text); return; }
    if (!file) { scanError.textContent = "请粘贴二维码内容或选择图片"; scanError.hidden = false; return; }
    var form = new FormData();
    form.append("image", file);
    fetch("/dev/simulator/decode", {method: "POST", headers: {"X-CSRFToken": CSRF}, body: form}).then(function (res) { return res.json(); }).then(function (data) {
      if (data.error) { scanError.textContent = data.error; scanError.hidden = false; return; }
      scanText(data.text);
    });
  });

  // Customer-service and template messages the app sent, as recorded by the fake WeChat API.
  function poll() {
    fetch("/dev/fake-wechat/dev-api/messages?openid=" + encodeURIComponent(openid()))
      .then(function (res) { return res.json(); })
      .then(function (data) {
        var list = data.messages || [];
        list.slice(seenMessages).forEach(function (m) {
          if (m.kind === "template") {
            // Each field under the name the template gives it, then the message's link, as WeChat shows them.
            var lines = (m.fields || []).map(function (f) { return f[0] + "：" + f[1]; });
            var row = bubble("them", lines.join("\n"), "模板消息");
            if (m.payload.url) {
              var more = document.createElement("div");
              more.className = "template-link";
              link(more, asUser(m.payload.url), "详情");
              row.querySelector(".bubble").appendChild(more);
            }
          } else {
            bubble("them", (m.payload.text || {}).content || JSON.stringify(m.payload), "客服消息", true);
          }
        });
        seenMessages = list.length;
      }).catch(function () {});
  }
  openidInput.addEventListener("change", function () { seenMessages = 0; chat.textContent = ""; });
  setInterval(poll, 2000);
  poll();
})();
