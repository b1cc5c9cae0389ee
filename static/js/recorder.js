// A microphone recording in the browser's own format (MediaRecorder), stopped by the caller or at a time limit.
window.Recorder = (function () {
  const available = Boolean(navigator.mediaDevices?.getUserMedia && window.MediaRecorder);

  // Resolves to the MediaRecorder once it records; onStop gets the recording as a Blob. Rejects when the
  // microphone is refused or missing.
  async function start({ maxMs, onStop }) {
    // A voice call's echo cancelling and noise suppression blur words for a recogniser.
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false } });
    const chunks = [];
    const recorder = new MediaRecorder(stream);
    const limit = setTimeout(() => recorder.state !== "inactive" && recorder.stop(), maxMs);
    recorder.ondataavailable = (event) => chunks.push(event.data);
    recorder.onstop = () => {
      stream.getTracks().forEach((track) => track.stop());
      clearTimeout(limit);
      onStop(new Blob(chunks, { type: chunks[0]?.type || recorder.mimeType || "audio/webm" }));
    };
    recorder.start();
    return recorder;
  }

  // A file name whose extension says the recording's container ("turn.webm", "turn.ogg").
  function filename(blob, stem) {
    return `${stem}.${blob.type.match(/^audio\/(\w+)/)?.[1] || "webm"}`;
  }

  return { available, start, filename };
})();
