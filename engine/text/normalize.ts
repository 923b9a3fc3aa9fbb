// Text clean-up before G2P. misaki reads numbers, currency, ordinals and years itself, so
// this only rewrites what misaki has no reading for (kept deliberately small: every rewrite
// moves us away from the phonemes Kokoro was trained on).

/** Collapses whitespace, removes control characters. Keeps blank lines as paragraph breaks. */
export function cleanText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u200B-\u200D\uFEFF]/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\u00A0\u2000-\u200A\u202F\u205F\u3000]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Web addresses as a person reads them: no "h t t p s colon slash slash", "www" spelled out. */
export function normalizeAddresses(text: string): string {
  return text
    .replace(/\bhttps?:\/\/(?=[\w-])/gi, '')
    .replace(/\bwww\.(?=[\w-]+\.)/gi, 'WWW.');
}

export function normalizeText(text: string): string {
  return normalizeAddresses(cleanText(text));
}
