// Sentences out of text that is still arriving, so a reply can be read aloud while it streams.
// A full stop ends a sentence only once the next sentence has begun: "2." may yet become "2.5 mg",
// and "Dr. Lee" or "e.g. rest" are told apart from an ending by the word before and the letter after.
(function () {
  // Words that take a full stop and never end a sentence (compared lower case, without their last ".").
  const ABBREVIATIONS = new Set([
    "dr", "mr", "mrs", "ms", "prof", "st", "sr", "jr", "vs", "e.g", "i.e", "approx", "incl", "fig", "no", "nos",
  ]);
  // Ending punctuation, any closing quotes or brackets, the space after, and the next sentence's first letter.
  const ENDING = /[.!?…]+["'”’)\]]*(?=\s+(\S))|\n/g;

  function endsHere(text, match) {
    if (match[0] === "\n") return true;
    const next = match[1];
    if (/\p{Ll}/u.test(next)) return false; // "… etc. and so on": a sentence goes on in lower case
    if (!match[0].startsWith(".")) return true;
    const word = text.slice(0, match.index).match(/[\p{L}\p{N}.]*$/u)[0].toLowerCase();
    return !(ABBREVIATIONS.has(word) || /^\p{L}$/u.test(word)); // "J. Smith": an initial
  }

  // Feed it text as it arrives; each push returns the sentences it completed, flush the rest at the end.
  // A piece without a letter ("1." of a list, a citation "[2]") joins the sentence that follows it.
  function splitter() {
    let buffer = "";
    function take(final) {
      const sentences = [];
      let start = 0;
      for (const match of buffer.matchAll(ENDING)) {
        const end = match.index + match[0].length;
        if (!endsHere(buffer, match)) continue;
        const sentence = buffer.slice(start, end).trim();
        if (/\p{L}/u.test(sentence)) { sentences.push(sentence); start = end; }
      }
      buffer = buffer.slice(start);
      if (final) {
        const rest = buffer.trim();
        buffer = "";
        if (rest) sentences.push(rest);
      }
      return sentences;
    }
    return {
      push(text) { buffer += text; return take(false); },
      flush() { return take(true); },
    };
  }

  function split(text) {
    const sentences = splitter();
    return sentences.push(text).concat(sentences.flush());
  }

  // What a voice should say of a sentence written in markdown: no citation marks, emphasis or list bullets.
  function speakable(sentence) {
    return sentence
      .replace(/\[(\d+)(?:\s*,\s*\d+)*\]/g, "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/^\s*(?:#+|[-*+>]|\d+[.)])\s+/, "")
      .replace(/[*_`~]+/g, "")
      .replace(/\s+/g, " ")
      .replace(/\s+([.,;:!?])/g, "$1")
      .trim();
  }

  window.Sentences = { splitter, split, speakable };
})();
