import { distance } from 'fastest-levenshtein';

// Nobody mistypes a name into hundreds of characters; measuring the distance of a megabyte-long
// key to every known name would only cost time.
const MAX_SUGGESTION_INPUT_LENGTH = 100;

/** Returns the known name closest to `input`, if it is close enough to be a likely typo. */
export function findClosestName(input: string, known: readonly string[]): string | undefined {
  if (input.length > MAX_SUGGESTION_INPUT_LENGTH) return undefined;
  const lowered = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const candidateDistance = distance(lowered, candidate.toLowerCase());
    if (candidateDistance < bestDistance) {
      best = candidate;
      bestDistance = candidateDistance;
    }
  }
  // One edit for short words (else "nope" would suggest "no"), a third of the length for longer
  // ones, so that a swapped pair of letters ("frist" for "first") is still recognised.
  const tolerance = input.length <= 4 ? 1 : Math.ceil(input.length / 3);
  return bestDistance <= tolerance ? best : undefined;
}

/** " Did you mean \"x\"?" or "" when nothing is close. */
export function didYouMean(input: string, known: readonly string[]): string {
  const closest = findClosestName(input, known);
  return closest === undefined ? '' : ` Did you mean "${closest}"?`;
}
