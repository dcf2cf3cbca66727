/** The sample arrays one after another, in one new array. */
export function joinSamples(parts: Int16Array[]): Int16Array {
  const joined = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
