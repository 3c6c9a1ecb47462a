/**
 * Alert thresholds in words, for people: `{ within_days: 14 }` reads "within 14 days". Keys not
 * known here read as their name and value. Pure; the API returns them beside the raw thresholds.
 */
/** A threshold in words ("within 14 days", "10 %"), from its key and value. */
export function thresholdInWords(key: string, v: unknown): string {
  const list = (x: unknown) => (Array.isArray(x) ? (x as unknown[]).map(String).join(', ') : String(x));
  const pct = (ppm: unknown) => `${(Number(ppm) / 10_000).toLocaleString('en-GB', { maximumFractionDigits: 4 })} %`;
  const kg = (g: unknown) => `${(Number(g) / 1000).toLocaleString('en-GB', { maximumFractionDigits: 3 })} kg`;
  switch (key) {
    case 'min_gap_grams':
      return `a gap of at least ${kg(v)}`;
    case 'min_gap_ppm':
      return `a gap of at least ${pct(v)} of the licensed mass`;
    case 'window_days':
      return `over any ${String(v)} days`;
    case 'tolerance_ppm':
      return Number(v) === 0 ? 'with no tolerance' : `with a tolerance of ${pct(v)}`;
    case 'annual_need_grams':
      return `declared annual need ${kg(v)}`;
    case 'grace_days':
      return Number(v) === 0 ? 'no grace period' : `${String(v)} days of grace`;
    case 'within_days':
      return `within ${String(v)} days`;
    case 'due':
      return `due ${String(v)}`;
    case 'related_ownership_ppm':
      return `parties related by ${pct(v)} ownership or more`;
    case 'hub_countries':
      return `transshipment hubs: ${list(v)}`;
    case 'prohibited_destinations':
      return `prohibited destinations: ${list(v)}`;
    case 'sector':
      return `end user's sector: ${String(v)}`;
    case 'plausible_purposes':
      return `purposes plausible for that sector: ${list(v)}`;
    case 'lists':
      return `lists screened: ${list(v)}`;
    default:
      return `${key.replace(/_/g, ' ')}: ${list(v)}`;
  }
}

/** Every threshold of an alert in words, in the order given. */
export function thresholdsInWords(thresholds: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(thresholds).map(([k, v]) => thresholdInWords(k, v));
}
