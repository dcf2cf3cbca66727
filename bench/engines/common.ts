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

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
