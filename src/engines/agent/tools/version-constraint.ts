/**
 * A small subset of Python packaging version specifiers (PEP 440) for tool versions: comma-separated
 * clauses of `==`, `!=`, `>=`, `<=`, `>`, `<`, `~=` with dotted numbers, `==1.*` prefix matches, and
 * `*` or an empty string for any version.
 */

function parts(version: string): number[] {
  return version
    .trim()
    .split(".")
    .map((p) => Number.parseInt(p, 10))
    .map((n) => (Number.isFinite(n) ? n : 0));
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** True when `version` satisfies `constraint`; false for clauses it cannot read. */
export function satisfiesVersionConstraint(version: string, constraint: string): boolean {
  const v = parts(version);
  for (const raw of constraint.split(",")) {
    const clause = raw.trim();
    if (clause === "" || clause === "*") continue;
    const match = /^(==|!=|>=|<=|~=|>|<)\s*([0-9]+(?:\.[0-9]+)*)(\.\*)?$/.exec(clause);
    if (match === null) return false;
    const [, op, target = "", wildcard] = match;
    const t = parts(target);
    const c = compare(v, t);
    const prefixEqual = t.every((n, i) => (v[i] ?? 0) === n);
    let ok: boolean;
    switch (op) {
      case "==":
        ok = wildcard === undefined ? c === 0 : prefixEqual;
        break;
      case "!=":
        ok = wildcard === undefined ? c !== 0 : !prefixEqual;
        break;
      case ">=":
        ok = c >= 0;
        break;
      case "<=":
        ok = c <= 0;
        break;
      case ">":
        ok = c > 0;
        break;
      case "<":
        ok = c < 0;
        break;
      default:
        // ~=X.Y means >= X.Y and == X.*
        ok = c >= 0 && t.slice(0, -1).every((n, i) => (v[i] ?? 0) === n);
    }
    if (!ok) return false;
  }
  return true;
}
