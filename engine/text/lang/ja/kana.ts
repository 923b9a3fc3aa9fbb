// Kana -> Kokoro phonemes, as misaki 0.9.4's cutlet.py (the JAG2P default, version='cutlet')
// reads a word's hiragana: one IPA-ish syllable per kana, digraphs with small kana, ー as ː,
// っ as ʔ, ん assimilated to the next kana of the same word. The table is misaki's (facts).

/** Single kana (and the four katakana with no hiragana twin). */
const SINGLE = 'ぁ=a あ=a ぃ=i い=i ぅ=ɯ う=ɯ ぇ=e え=e ぉ=o お=o か=ka が=ɡa き=kʲi ぎ=ɡʲi く=kɯ ぐ=ɡɯ け=ke げ=ɡe こ=ko ご=ɡo '
  + 'さ=sa ざ=ʣa し=ɕi じ=ʥi す=sɨ ず=zɨ せ=se ぜ=ʣe そ=so ぞ=ʣo た=ta だ=da ち=ʨi ぢ=ʥi つ=ʦɨ づ=zɨ て=te で=de と=to ど=do '
  + 'な=na に=ɲi ぬ=nɯ ね=ne の=no は=ha ば=ba ぱ=pa ひ=çi び=bʲi ぴ=pʲi ふ=ɸɯ ぶ=bɯ ぷ=pɯ へ=he べ=be ぺ=pe ほ=ho ぼ=bo ぽ=po '
  + 'ま=ma み=mʲi む=mɯ め=me も=mo ゃ=ja や=ja ゅ=jɯ ゆ=jɯ ょ=jo よ=jo ら=ɾa り=ɾʲi る=ɾɯ れ=ɾe ろ=ɾo ゎ=βa わ=βa ゐ=i ゑ=e を=o '
  + 'ゔ=vɯ ゕ=ka ゖ=ke ヷ=va ヸ=vʲi ヹ=ve ヺ=vo';
/** Kana followed by a small kana, read as one syllable. */
const DIGRAPH = 'いぇ=je うぃ=βi うぇ=βe うぉ=βo きぇ=kʲe きゃ=kʲa きゅ=kʲɨ きょ=kʲo ぎゃ=ɡʲa ぎゅ=ɡʲɨ ぎょ=ɡʲo くぁ=kᵝa くぃ=kᵝi '
  + 'くぇ=kᵝe くぉ=kᵝo ぐぁ=ɡᵝa ぐぃ=ɡᵝi ぐぇ=ɡᵝe ぐぉ=ɡᵝo しぇ=ɕe しゃ=ɕa しゅ=ɕɨ しょ=ɕo じぇ=ʥe じゃ=ʥa じゅ=ʥɨ じょ=ʥo '
  + 'ちぇ=ʨe ちゃ=ʨa ちゅ=ʨɨ ちょ=ʨo ぢゃ=ʥa ぢゅ=ʥɨ ぢょ=ʥo つぁ=ʦa つぃ=ʦʲi つぇ=ʦe つぉ=ʦo てぃ=tʲi てゅ=tʲɨ でぃ=dʲi でゅ=dʲɨ '
  + 'とぅ=tɯ どぅ=dɯ にぇ=ɲe にゃ=ɲa にゅ=ɲɨ にょ=ɲo ひぇ=çe ひゃ=ça ひゅ=çɨ ひょ=ço びゃ=bʲa びゅ=bʲɨ びょ=bʲo ぴゃ=pʲa ぴゅ=pʲɨ '
  + 'ぴょ=pʲo ふぁ=ɸa ふぃ=ɸʲi ふぇ=ɸe ふぉ=ɸo ふゅ=ɸʲɨ ふょ=ɸʲo みゃ=mʲa みゅ=mʲɨ みょ=mʲo りゃ=ɾʲa りゅ=ɾʲɨ りょ=ɾʲo ゔぁ=va '
  + 'ゔぃ=vʲi ゔぇ=ve ゔぉ=vo ゔゅ=bʲɨ ゔょ=bʲo';
/** Japanese punctuation -> the punctuation Kokoro knows (・ is a word gap; lone sound marks vanish). */
export const SYMBOLS: Record<string, string> = {
  '。': '.', '、': ',', '？': '?', '！': '!', '「': '“', '」': '”', '『': '“', '』': '”', '：': ':', '；': ';', '（': '(', '）': ')',
  '《': '(', '》': ')', '【': '[', '】': ']', '・': ' ', '，': ',', '～': '—', '〜': '—', '—': '—', '«': '“', '»': '”', '゚': '', '゙': '',
};

const table = (s: string): Map<string, string> => new Map(s.split(' ').map((kv) => kv.split('=') as [string, string]));
const KANA = table(SINGLE);
const PAIRS = table(DIGRAPH);
const SMALL = new Set('ゃゅょぁぃぅぇぉ');

/** Katakana -> hiragana (ヷヸヹヺ and ー have none and stay), as jaconv.kata2hira. */
export function kataToHira(s: string): string {
  return s.replace(/[ァ-ヶ]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60));
}

/** The next kana's phoneme string, for ん's assimilation (undefined: no next kana or unmapped). */
function phonemeOf(k: string | undefined): string | undefined {
  return k === undefined ? undefined : KANA.get(k) ?? SYMBOLS[k];
}

/** One kana in its word, given its neighbours (cutlet's _get_single_mapping). */
function mapKana(prev: string | undefined, k: string, next: string | undefined): string {
  if ('ゝヽ'.includes(k)) return prev ?? ''; // repeat mark: cutlet repeats the previous kana as is
  if ('ゞヾ'.includes(k)) {
    const i = prev === undefined ? -1 : 'かきくけこさしすせそたちつてとはひふへほ'.indexOf(prev);
    return i < 0 ? '' : KANA.get('がぎぐげござじずぜぞだぢづでどばびぶべぼ'[i]!)!;
  }
  if (k === '〃' || k === '々') return '';
  if (prev !== undefined && PAIRS.has(prev + k)) return PAIRS.get(prev + k)!;
  if (next !== undefined && PAIRS.has(k + next)) return '';
  if (next !== undefined && SMALL.has(next)) {
    if (k === 'っ') return '';
    const own = KANA.get(k) ?? SYMBOLS[k];
    return own === undefined ? '' : own.slice(0, -1) + KANA.get(next)!;
  }
  if (SMALL.has(k)) return '';
  if (k === 'ー') return 'ː';
  if (k === 'っ') return 'ʔ';
  if (k === 'ん') {
    // m before m p b, ŋ before k ɡ, ɲ before ɲ ʨ ʥ, n before n t d ɾ z, ɴ otherwise.
    const n = phonemeOf(next);
    if (n) {
      if ('mpb'.includes(n[0]!)) return 'm';
      if ('kɡ'.includes(n[0]!)) return 'ŋ';
      if (/^[ɲʨʥ]/.test(n)) return 'ɲ';
      if ('ntdɾz'.includes(n[0]!)) return 'n';
    }
    return 'ɴ';
  }
  return KANA.get(k) ?? SYMBOLS[k] ?? '';
}

/** A word's hiragana reading -> phonemes. */
export function hiraToPhonemes(hira: string): string {
  const ks = [...hira];
  let out = '';
  for (let i = 0; i < ks.length; i++) out += mapKana(ks[i - 1], ks[i]!, ks[i + 1]);
  return out;
}

/** A symbol word, character by character (unknown characters pass through). */
export function symbolsToPhonemes(s: string): string {
  return [...s].map((c) => SYMBOLS[c] ?? c).join('');
}
