/** Cuts `text` at the earliest occurrence of any stop sequence (the stop itself is removed). */
export function truncateAtStop(text: string, stops: readonly string[]): string {
  let end = text.length;
  for (const stop of stops) {
    if (stop.length === 0) continue;
    const at = text.indexOf(stop);
    if (at !== -1 && at < end) end = at;
  }
  return text.slice(0, end);
}
