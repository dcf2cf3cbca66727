export interface BenchRow {
  engine: string;
  metric: string;
  value: number;
  unit: string;
}

export function printRows(rows: BenchRow[]): void {
  for (const row of rows) {
    console.log(
      `${row.engine.padEnd(14)} ${row.metric.padEnd(44)} ${row.value.toFixed(row.value < 10 ? 3 : 1).padStart(10)} ${row.unit}`,
    );
  }
}

export function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 1e6);
}

/** The p-th percentile (nearest rank) of some figures. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}
