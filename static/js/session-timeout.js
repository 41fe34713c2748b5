/* Warns a signed-in person who is filling in a form that their session is about to end for want of activity
   (compact_portal/session_timeout.py), and lets them keep it going (WCAG 2.2.1, Timing Adjustable). Nothing
   depends on it: without JavaScript, a form sent after the session has ended comes back once its author
   signs in again, filled in as it was sent.

   The script tag carries data-status-url (GET: how long is left, without counting as activity; POST: counts
   as activity), data-seconds-left and data-warning-seconds. It does nothing until someone types or chooses
   something in a form that posts; then, data-warning-seconds before the end, it asks the server how long is
   really left (another tab may have been busy) and, if the end is near, shows a warning with a "Stay signed in"
   button; typing on in the form does the same. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch) { return; }
  var statusUrl = script.dataset.statusUrl;
  var warningMs = Number(script.dataset.warningSeconds) * 1000;
  var endsAt = Date.now() + Number(script.dataset.secondsLeft) * 1000;
  var armed = false, warned = false, extending = false, timer = null, box = null;

  function postsForm(element) {
    var form = element && element.form;
    return form && (form.getAttribute("method") || "").toLowerCase() === "post";
  }

  function clock(time) {
    return new Date(time).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, Math.max(delay, 0));
  }

  function showBox() {
    if (!box) {
      box = document.createElement("div");
      box.className = "alert alert-warning shadow position-fixed bottom-0 start-0 end-0 m-3 z-3";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.hidden = false;
    box.textContent = "";
    return box;
  }

  function paragraph(parent, text) {
    var p = document.createElement("p");
    p.className = "mb-2";
    p.textContent = text;
    parent.appendChild(p);
  }

  function warn(status) {
    warned = true;
    var area = showBox();
    if (status.ends_at_limit) {
      paragraph(area, "Your session reaches its time limit at " + clock(endsAt) + ", when you will be signed out.");
    } else {
      paragraph(area, "You will be signed out at " + clock(endsAt) + " (in about " +
        Math.max(1, Math.round((endsAt - Date.now()) / 60000)) + " minutes) unless you carry on typing or " +
        "choose \u201cStay signed in\u201d.");
    }
    paragraph(area, "If you are signed out, what you have typed is not lost: send the form, sign in again, " +
      "and it comes back for you to check.");
    if (!status.ends_at_limit) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-primary";
      button.textContent = "Stay signed in";
      button.addEventListener("click", extend);
      area.appendChild(button);
    }
  }

  function ended() {
    window.clearTimeout(timer);
    warned = true;
    var area = showBox();
    paragraph(area, "You have been signed out because your session ended. What you have typed is still on " +
      "this page: send the form, sign in again, and it comes back for you to check and send.");
  }

  function update(status) {
    if (!status.signed_in) { ended(); return; }
    endsAt = Date.now() + status.seconds_left * 1000;
    if (status.seconds_left * 1000 > warningMs) {
      warned = false;
      if (box) { box.hidden = true; }
      schedule(endsAt - warningMs - Date.now());
    } else if (status.seconds_left > 0) {
      warn(status);
      schedule(endsAt - Date.now() + 1000);  // then check once more at the end
    } else {
      ended();
    }
  }

  function ask(options) {
    return fetch(statusUrl, Object.assign({ credentials: "same-origin", cache: "no-store" }, options || {}))
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(update);
  }

  function check() {
    ask().catch(function () { schedule(60000); });  // offline for a moment: try again in a minute
  }

  function extend() {
    var token = document.querySelector("input[name='csrfmiddlewaretoken']");
    if (extending || !token) { return; }
    extending = true;
    ask({ method: "POST", headers: { "X-CSRFToken": token.value } })
      .catch(function () { schedule(60000); })
      .then(function () { extending = false; });
  }

  function activity(event) {
    if (!postsForm(event.target)) { return; }
    if (!armed) {
      armed = true;
      schedule(endsAt - warningMs - Date.now());
    } else if (warned && box && !box.hidden) {
      extend();  // typing on while warned keeps the session going
    }
  }

  document.addEventListener("input", activity);
  document.addEventListener("change", activity);
}());
