/* Phone photos (4-15 MB) shrunk in the page before upload, with a preview.
 *
 * Attach to any file input: <input type="file" data-shrink="2048" data-shrink-bytes="1500000">
 * (longest side in pixels, size to aim for). On choosing a photo the script decodes it (EXIF
 * orientation applied), draws it on a canvas no larger than data-shrink, re-encodes it as JPEG,
 * lowering the quality until it fits data-shrink-bytes, puts the result in the input in place of
 * the original, and shows a preview and the sizes next to the input. Without this script (or a
 * browser without DataTransfer) the original is uploaded and the server's limit applies as before.
 * Submit buttons of the form wait while a photo is being processed. No network, no CDN: our own file,
 * loaded from 'self' (the page's CSP allows data: images for the preview, not blob: URLs).
 */
(function () {
  "use strict";
  var QUALITIES = [0.85, 0.75, 0.65, 0.55, 0.45];
  var busy = 0;

  function megabytes(bytes) { return (bytes / 1048576).toFixed(1) + "MB"; }

  function viaImage(file) {  // older browsers: a data: URL (allowed by the CSP), then an <img>
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onerror = reject;
      reader.onload = function () {
        var img = new Image();
        img.onload = function () { resolve(img); };
        img.onerror = reject;
        img.src = reader.result;
      };
      reader.readAsDataURL(file);
    });
  }

  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () { return viaImage(file); });
    }
    return viaImage(file);
  }

  function draw(source, maxSide) {
    var width = source.width, height = source.height, scale = Math.min(1, maxSide / Math.max(width, height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    var context = canvas.getContext("2d");
    context.fillStyle = "#fff";  // a transparent PNG becomes white, not black, as JPEG
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    return canvas;
  }

  function encode(canvas, quality) {
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (blob) { return blob ? resolve(blob) : reject(new Error("encode")); }, "image/jpeg", quality);
    });
  }

  function smallEnough(canvas, maxBytes, index) {
    return encode(canvas, QUALITIES[index]).then(function (blob) {
      return blob.size <= maxBytes || index === QUALITIES.length - 1 ? blob : smallEnough(canvas, maxBytes, index + 1);
    });
  }

  function shrink(file, maxSide, maxBytes) {
    return decode(file).then(function (source) {
      return smallEnough(draw(source, maxSide), maxBytes, 0);
    }).then(function (blob) {
      var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
      return new File([blob], name, { type: "image/jpeg", lastModified: Date.now() });
    });
  }

  function replaceFile(input, file) {
    try {
      var transfer = new DataTransfer();
      transfer.items.add(file);
      input.files = transfer.files;
      return input.files.length === 1 && input.files[0] === file;
    } catch (e) {
      return false;
    }
  }

  function companion(input, className, tag) {
    var box = input.parentNode.querySelector("." + className);
    if (!box) {
      box = document.createElement(tag);
      box.className = className;
      input.parentNode.appendChild(box);
    }
    return box;
  }

  function showPreview(input, file) {
    var img = companion(input, "photo-preview", "img");
    img.alt = "已选照片预览：" + (input.getAttribute("data-shrink-label") || "照片");
    var reader = new FileReader();
    reader.onload = function () { img.src = reader.result; };
    reader.readAsDataURL(file);
  }

  function say(input, text) {
    var note = companion(input, "photo-status", "span");
    note.setAttribute("aria-live", "polite");
    note.textContent = text;
  }

  function setBusy(form, delta) {
    busy += delta;
    var buttons = form ? form.querySelectorAll("button[type=submit]") : [];
    for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = busy > 0; }
  }

  function chosen(event) {
    var input = event.target, original = input.files && input.files[0];
    if (!original || !/^image\//.test(original.type)) { return; }
    var maxSide = parseInt(input.getAttribute("data-shrink"), 10) || 2048;
    var maxBytes = parseInt(input.getAttribute("data-shrink-bytes"), 10) || 1500000;
    say(input, "正在压缩照片…");
    setBusy(input.form, 1);
    shrink(original, maxSide, maxBytes).then(function (small) {
      var useSmall = small.size < original.size && replaceFile(input, small);
      var kept = useSmall ? small : original;
      showPreview(input, kept);
      say(input, useSmall ? "已压缩：" + megabytes(original.size) + " → " + megabytes(small.size)
        : "照片大小 " + megabytes(original.size));
    }).catch(function () {
      say(input, "无法在本机压缩这张照片，将按原图上传");
    }).then(function () { setBusy(input.form, -1); });
  }

  function waitWhileBusy(event) {
    if (busy > 0) { event.preventDefault(); }
  }

  var inputs = document.querySelectorAll("input[type=file][data-shrink]");
  for (var i = 0; i < inputs.length; i++) {
    inputs[i].addEventListener("change", chosen);
    if (inputs[i].form) { inputs[i].form.addEventListener("submit", waitWhileBusy); }
  }
})();
