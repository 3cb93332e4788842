/* The compact chat view inside the widget's iframe. It calls the API on its own origin with the
 * session cookie the /widget page set (HttpOnly); no API key is ever in this page. */
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("ask");
  var input = document.getElementById("question");
  var send = document.getElementById("send");
  var history = [];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function link(href, text) {
    var a = el("a", "", text);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Briefqa-Widget": "1" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(data.error || ("HTTP " + r.status));
        return data;
      });
    });
  }

  function renderAnswer(ans, box) {
    var p = el("p", "a" + (ans.abstained ? " abstained" : ""));
    // "sentence [1] sentence [2]": markers become links to the citation below.
    ans.answer.split(/(\[\d+\])/).forEach(function (part) {
      var m = /^\[(\d+)\]$/.exec(part);
      if (m) {
        var sup = el("sup");
        var a = el("a", "cite", "[" + m[1] + "]");
        a.href = "#c-" + box.dataset.turn + "-" + m[1];
        sup.appendChild(a);
        p.appendChild(sup);
      } else if (part) {
        p.appendChild(document.createTextNode(part));
      }
    });
    box.appendChild(p);
    if (ans.citations.length) {
      var ol = el("ol", "citations");
      ans.citations.forEach(function (c) {
        var li = el("li", "citation");
        li.id = "c-" + box.dataset.turn + "-" + c.n;
        li.value = c.n;
        var where = (c.section ? "\u00a7" + c.section + " " : "") + c.section_title + (c.page ? ", p. " + c.page : "");
        if (c.url) li.appendChild(link(c.url, c.title)); else li.appendChild(document.createTextNode(c.title));
        li.appendChild(document.createTextNode(", " + where));
        c.footnotes.forEach(function (f) {
          var fn = el("span", "fn", "footnote " + f.number + ": " + (!f.text ? "(text lost in extraction)" : f.text.length > 140 ? f.text.slice(0, 140) + "\u2026" : f.text) + " ");
          f.urls.forEach(function (u) { fn.appendChild(link(u, u)); fn.appendChild(document.createTextNode(" ")); });
          li.appendChild(fn);
        });
        ol.appendChild(li);
      });
      box.appendChild(ol);
    }
    var rate = el("div", "rate", "Helpful?");
    ["up", "down"].forEach(function (r) {
      var b = el("button", "", r === "up" ? "\ud83d\udc4d" : "\ud83d\udc4e");
      b.type = "button";
      b.setAttribute("aria-label", r === "up" ? "Helpful" : "Not helpful");
      b.addEventListener("click", function () {
        post("api/v1/feedback", { question: ans.question, answer: ans.answer, rating: r, index: ans.index })
          .then(function () { rate.textContent = "Thanks for the feedback."; })
          .catch(function (e) { rate.textContent = e.message; });
      });
      rate.appendChild(b);
    });
    box.appendChild(rate);
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = input.value.trim();
    if (!q) return;
    var box = el("section", "turn");
    box.dataset.turn = String(history.length / 2 + 1);
    box.appendChild(el("p", "q", q));
    var wait = el("p", "a pending", "\u2026");
    box.appendChild(wait);
    log.appendChild(box);
    log.scrollTop = log.scrollHeight;
    input.value = "";
    send.disabled = true;
    post("api/v1/ask", { question: q, history: history.slice(-8) })
      .then(function (ans) {
        box.removeChild(wait);
        renderAnswer(ans, box);
        history.push({ role: "user", content: q, searched: ans.searched });
        history.push({ role: "assistant", content: ans.answer });
      })
      .catch(function (e) { wait.className = "err"; wait.textContent = e.message; })
      .then(function () { send.disabled = false; input.focus(); log.scrollTop = log.scrollHeight; });
  });
})();
