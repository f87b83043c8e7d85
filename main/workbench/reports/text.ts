/**
 * Words and numbers shared by the PDF and docs/reports.md: metric names and definitions, which
 * direction is better, number formats, and text made safe for the PDF's standard fonts.
 */
import type { MetricKey } from './select.ts';

export const METRIC_NAMES: Record<MetricKey, string> = {
  acc: 'ACC',
  bwt: 'BWT',
  fwt: 'FWT',
  forgetting: 'Forgetting',
  averageIncrementalAccuracy: 'Avg. incr. ACC',
};

/** +1: higher is better; -1: lower is better. */
export const METRIC_DIRECTION: Record<MetricKey, 1 | -1> = { acc: 1, bwt: 1, fwt: 1, forgetting: -1, averageIncrementalAccuracy: 1 };

/** The definitions printed in the report (STRATEGIES.md "Metrics"); R[i][j] is 1-based here. */
export const METRIC_DEFINITIONS: { term: string; text: string }[] = [
  {
    term: 'Accuracy matrix R',
    text: 'R[i][j] is the accuracy on the test set of experience j after training on experiences 1..i (T experiences in all). Row 0, b_j, is the accuracy of the randomly initialised model, evaluated once before training.',
  },
  { term: 'ACC', text: 'Average accuracy after the last experience: ACC = mean over j = 1..T of R[T][j].' },
  {
    term: 'BWT',
    text: 'Backward transfer (Lopez-Paz & Ranzato 2017): BWT = mean over j = 1..T-1 of (R[T][j] - R[j][j]). Negative values mean that learning later experiences hurt earlier ones.',
  },
  { term: 'FWT', text: 'Forward transfer: FWT = mean over j = 2..T of (R[j-1][j] - b_j), how much training on earlier experiences helps an experience before it is trained on.' },
  {
    term: 'Forgetting',
    text: 'Forgetting (Chaudhry et al. 2018, as in Mammoth and FACIL): f_j = max over l = 1..T-1 of R[l][j] - R[T][j], averaged over j = 1..T-1. The best accuracy ever reached counts, not only the accuracy right after training on j (the choice Avalanche makes). Lower is better.',
  },
  { term: 'Avg. incr. ACC', text: 'Average incremental accuracy: the mean over i = 1..T of (mean over j = 1..i of R[i][j]), the accuracy on the experiences seen so far, averaged over the stream.' },
  {
    term: 'Class-IL and task-IL',
    text: 'Class-IL accuracy predicts among all classes. Where the scenario gives task ids, the same run is also evaluated task-IL: the logits of classes outside the experience\'s task are masked (as in Mammoth\'s mask_classes).',
  },
  { term: 'Accuracy after each experience', text: 'The curve plotted per strategy: after training experience i, the mean over j = 1..i of R[i][j].' },
  {
    term: 'Mean ± sd',
    text: 'Over the seeds that finished (n of them): the mean and the sample standard deviation (n - 1 in the denominator; 0 for a single seed). Metrics undefined for a run (BWT with one experience) are left out and n counts the rest.',
  },
  {
    term: 'Cost',
    text: 'Train time: seconds in training steps, evaluation excluded. Samples/s: trained samples per train second. Peak memory: the largest tfjs tensor memory seen at a step. Parameters: trainable parameters at the end (grows for Ensemble and PNN). Buffer: replay memory in samples and bytes.',
  },
];

/** A metric value in tables: 4 decimals (the CSV has full precision). */
export function formatValue(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  const text = value.toFixed(digits);
  return /^-0\.0*$/.test(text) ? text.slice(1) : text;
}

/** "0.8783 ± 0.1249", or "0.8783" when there is no spread to show (n = 1). */
export function formatMeanSd(summary: { mean: number | null; sd: number | null; n: number }, digits = 4): string {
  if (summary.mean === null) return '-';
  if (summary.n < 2 || summary.sd === null) return formatValue(summary.mean, digits);
  return `${formatValue(summary.mean, digits)} ± ${formatValue(summary.sd, digits)}`;
}

/** Byte counts as "12.3 MB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '-';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? String(Math.round(value)) : String(Number(value.toPrecision(3)))} ${units[unit]}`;
}

/** A count or rate with thousands separators and a sensible number of digits. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  const digits = abs >= 100 || Number.isInteger(value) ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Seconds as "0.28 s", "12.3 s", "4 min 05 s", "2 h 03 min". */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;
  return `${Math.floor(seconds / 3600)} h ${String(Math.round((seconds % 3600) / 60)).padStart(2, '0')} min`;
}

// The characters of Windows-1252 above 0x7F that are not in Latin-1, which the PDF standard fonts can draw.
const CP1252_EXTRAS = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
const REPLACEMENTS: Record<string, string> = {
  '−': '-', '‐': '-', '‑': '-', '≤': '<=', '≥': '>=', '≠': '!=', '≈': '~', '→': '->', '←': '<-',
  α: 'alpha', β: 'beta', γ: 'gamma', δ: 'delta', ε: 'epsilon', η: 'eta', λ: 'lambda', μ: 'mu', σ: 'sigma', τ: 'tau', ω: 'omega',
  '\t': ' ',
};

/**
 * Text the PDF's standard fonts (Helvetica, WinAnsi encoding) can draw: characters outside
 * Windows-1252 are transliterated where there is an obvious ASCII form (Greek letters, dashes,
 * accents) and otherwise become "?". Not used when the caller supplies Unicode fonts.
 */
export function winAnsi(text: string): string {
  let out = '';
  for (const char of text.normalize('NFC')) {
    const code = char.codePointAt(0) ?? 0;
    if ((code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || CP1252_EXTRAS.has(char) || char === '\n') {
      out += char;
    } else if (REPLACEMENTS[char] !== undefined) {
      out += REPLACEMENTS[char];
    } else {
      const stripped = char.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
      out += /^[\x20-\x7e]+$/.test(stripped) ? stripped : '?';
    }
  }
  return out;
}

/** True when the PDF standard fonts can draw `char` (Windows-1252). */
function isWinAnsi(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || CP1252_EXTRAS.has(char);
}

/**
 * The resolved experiment as readable JSON that parses back to the same spec: small objects and
 * arrays of numbers on one line, one strategy per line. With `escape`, characters the standard
 * fonts cannot draw are written as \uXXXX escapes (still the same JSON value).
 */
export function experimentJson(spec: unknown, escape = false): string {
  const format = (value: unknown, indent: string): string => {
    if (Array.isArray(value)) {
      if (value.every((v) => v === null || typeof v !== 'object')) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
      return `[\n${value.map((v) => `${indent}  ${JSON.stringify(v)}`).join(',\n')}\n${indent}]`;
    }
    if (value && typeof value === 'object') {
      const entries = Object.entries(value).filter(([, v]) => v !== undefined);
      const inline = JSON.stringify(value);
      if (indent && inline.length <= 90) return inline;
      return `{\n${entries.map(([k, v]) => `${indent}  ${JSON.stringify(k)}: ${format(v, `${indent}  `)}`).join(',\n')}\n${indent}}`;
    }
    return JSON.stringify(value);
  };
  const text = format(spec, '');
  if (!escape) return text;
  let out = '';
  for (const char of text) {
    if (char === '\n' || isWinAnsi(char)) out += char;
    else for (let k = 0; k < char.length; k++) out += `\\u${char.charCodeAt(k).toString(16).padStart(4, '0')}`;
  }
  return out;
}
