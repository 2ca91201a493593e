/** A tiny inline SVG line chart (no library): one series of values 0..max over time buckets. */
export interface ChartProps {
  /** Values per bucket; null for a bucket without data (a gap). */
  values: Array<number | null>;
  max: number;
  label: string;
  width?: number;
  height?: number;
}

export function LineChart({ values, max, label, width = 320, height = 80 }: ChartProps) {
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const y = (v: number) => height - (max === 0 ? 0 : (v / max) * (height - 4)) - 2;
  const points = values
    .map((v, i) => (v === null ? null : `${(i * step).toFixed(1)},${y(v).toFixed(1)}`))
    .filter((p): p is string => p !== null)
    .join(' ');
  return (
    <svg className="layersync-chart" role="img" aria-label={label} width={width} height={height} viewBox={`0 0 ${width} ${height}`}>
      <rect x="0" y="0" width={width} height={height} fill="#f6f7f7" />
      {points && <polyline points={points} fill="none" stroke="#2271b1" strokeWidth="2" />}
    </svg>
  );
}
