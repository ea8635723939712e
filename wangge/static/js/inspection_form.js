// The inspection form on a phone: a failure's note and photo appear when "fail" is chosen, the score is
// previewed as the answers come in, photos are shrunk before they are sent (a field connection is slow), and
// a second tap on "save" sends nothing more (the idempotency key would catch it; this saves the upload).
// Everything works without this script: the fields are then simply all shown.
(function () {
  "use strict";

  const form = document.getElementById("inspection-form");
  if (!form) return;
  const items = Array.from(form.querySelectorAll("[data-item]"));
  const preview = form.querySelector("[data-score-preview]");
  const passMark = Number(form.dataset.passMark || 0);
  const maxBytes = Number(form.dataset.photoMaxBytes || 0);
  const maxSide = Number(form.dataset.photoMaxSide || 1600);

  const resultOf = (item) => {
    const checked = item.querySelector("input[type=radio]:checked");
    return checked ? checked.value : "";
  };

  const showFailFields = (item) => {
    const fields = item.querySelector("[data-fail-fields]");
    if (fields) fields.hidden = resultOf(item) !== "fail";
  };

  // The same rule as services.score_of: points passed out of points answered (not applicable left out); a
  // critical item failing fails the inspection whatever the score. Until every item is answered, the preview
  // says how many are left rather than a score that would mislead (nothing answered yet is not "100, passed").
  const updatePreview = () => {
    if (!preview) return;
    let passed = 0;
    let answered = 0;
    let unanswered = 0;
    let critical = false;
    items.forEach((item) => {
      const points = Number(item.dataset.points || 0);
      const result = resultOf(item);
      if (result === "pass" || result === "fail") answered += points;
      if (result === "pass") passed += points;
      if (result === "fail" && "critical" in item.dataset) critical = true;
      if (!result) unanswered += 1;
    });
    preview.textContent = "";
    if (unanswered) {
      const rest = document.createElement("span");
      rest.className = "text-muted";
      rest.textContent = form.dataset.msgUnanswered.replace("{n}", () => String(unanswered));
      preview.appendChild(rest);
      return;
    }
    const score = answered ? Math.round((1000 * passed) / answered) / 10 : 100;
    const ok = score >= passMark && !critical;
    const verdict = ok ? form.dataset.msgPassed : form.dataset.msgFailed;
    const strong = document.createElement("strong");
    strong.className = ok ? "text-success" : "text-danger";
    strong.textContent = `${form.dataset.msgScore} ${score.toFixed(1)} · ${verdict}`;
    preview.appendChild(strong);
  };

  items.forEach((item) => {
    showFailFields(item);
    item.addEventListener("change", (event) => {
      if (event.target.type === "radio") {
        showFailFields(item);
        updatePreview();
      }
    });
  });
  updatePreview();

  // A phone photo is often several MB; redrawn at the size the server keeps anyway (PHOTO_MAX_SIDE), it is
  // a few hundred KB. An <img> is drawn upright (browsers apply the EXIF orientation to images). Any failure
  // keeps the original file.
  const loadImage = (file) =>
    new Promise((resolve, reject) => {
      const url = URL.createObjectURL(file);
      const image = new Image();
      image.onload = () => { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = () => { URL.revokeObjectURL(url); reject(new Error("not an image")); };
      image.src = url;
    });

  const shrink = async (file) => {
    if (!file.type.startsWith("image/") || typeof DataTransfer === "undefined") return file;
    const image = await loadImage(file);
    const scale = Math.min(1, maxSide / Math.max(image.naturalWidth, image.naturalHeight));
    if (scale === 1 && file.size < 1024 * 1024) return file;
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(image.naturalWidth * scale);
    canvas.height = Math.round(image.naturalHeight * scale);
    canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    if (!blob || blob.size >= file.size) return file;
    return new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" });
  };

  form.querySelectorAll("input[type=file]").forEach((input) => {
    const status = input.parentElement.querySelector("[data-photo-status]");
    input.addEventListener("change", async () => {
      const file = input.files && input.files[0];
      if (status) status.textContent = "";
      if (!file) return;
      let chosen = file;
      try {
        chosen = await shrink(file);
        if (chosen !== file) {
          const transfer = new DataTransfer();
          transfer.items.add(chosen);
          input.files = transfer.files;
        }
      } catch (error) {
        chosen = file;
      }
      if (maxBytes && chosen.size > maxBytes) {
        input.value = "";
        if (status) status.textContent = form.dataset.msgPhotoTooLarge;
      }
    });
  });

  const submit = form.querySelector("[data-submit]");
  const submitLabel = submit ? submit.innerHTML : "";
  form.addEventListener("submit", () => {
    if (!submit) return;
    // Disabled after this event, so that the browser still sends the form.
    window.setTimeout(() => {
      submit.disabled = true;
      submit.textContent = form.dataset.msgSending;
    }, 0);
  });
  // Coming back to the page (back button, page cache): the button works again.
  window.addEventListener("pageshow", () => {
    if (!submit) return;
    submit.disabled = false;
    submit.innerHTML = submitLabel;
  });
})();
