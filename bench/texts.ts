// Fixed texts for the benchmark commands. Written for these benchmarks; plain English prose
// with a few numbers and abbreviations so the text front end does its usual work. Never change
// them casually: figures from different runs are only comparable on the same texts.

/** A short sentence (one chunk). */
export const SHORT = 'The quick test sentence checks how fast the first audio arrives.';

/**
 * Paragraphs of about 60 words each. PARAGRAPHS[0] is "the 60-word paragraph"; the scale
 * benchmark cycles through all of them; LONG joins them into a text of about 400 words.
 */
export const PARAGRAPHS: readonly string[] = [
  'Every morning the harbor wakes before the town does. Fishing boats slide out past the breakwater while the ' +
    'gulls argue over scraps on the pier. By seven, the bakery on the corner has its shutters up, and the smell ' +
    'of warm bread drifts down to the water, where a few early walkers stop to watch the light change over the bay.',
  'The library reopened last spring after a long renovation. Its reading room now has tall windows, quiet ' +
    'corners, and a row of desks with lamps that glow a soft yellow. On weekday afternoons students spread their ' +
    'notes across the tables, and an old clock above the door ticks loudly enough that nobody needs to check a phone.',
  'Our team met on Tuesday to review the plan for the next quarter. We agreed to ship the smaller features ' +
    'first, measure how people actually use them, and only then decide on the larger changes. Maria will write ' +
    'the summary, Tom will update the schedule, and everyone will send their questions before the end of the week.',
  'Mountain weather turns quickly in the late afternoon. A clear sky can fill with clouds in less than an hour, ' +
    'and the wind that felt pleasant at noon starts to bite through a light jacket. Experienced hikers plan to ' +
    'reach the ridge early, rest for a few minutes at the top, and begin the long walk down well before dark.',
  'The recipe looks simple, but the order matters. Toast the spices in a dry pan until they smell nutty, then ' +
    'add the onions and let them soften slowly over low heat. Stir in the tomatoes, a pinch of salt, and about ' +
    'two cups of stock. Let everything simmer for twenty minutes while you prepare the rice and chop fresh herbs.',
  'Trains into the city were running about ten minutes late this evening because of work on the signals near ' +
    'the river bridge. The station staff handed out printed timetables and kept the platforms calm. Most ' +
    'passengers simply found a seat, opened a book or a newspaper, and waited patiently for the familiar rumble.',
  'When the storm finally passed, the neighbors came outside to look at the damage. A few branches had fallen ' +
    'across the road and one fence leaned at a strange angle, but the houses were fine. Children jumped in the ' +
    'puddles, somebody brought out a thermos of coffee, and soon the whole street was sweeping and laughing together.',
];

/** The 60-word paragraph. */
export const PARAGRAPH = PARAGRAPHS[0]!;

/** About 400 words. */
export const LONG = PARAGRAPHS.join(' ');

export const wordCount = (s: string): number => s.split(/\s+/).filter(Boolean).length;

export interface NamedText {
  name: string;
  text: string;
}

export const ENGINE_TEXTS: readonly NamedText[] = [
  { name: 'short', text: SHORT },
  { name: 'paragraph', text: PARAGRAPH },
  { name: 'long', text: LONG },
];
