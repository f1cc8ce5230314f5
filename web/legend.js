// legend.js - the value a uPlot legend shows for a series. uPlot's own legend reads "—" until the
// cursor is on the chart; these read the value under the cursor, and otherwise the series' newest
// value (or one the page names, such as the values at a slider's marker), so a chart says where
// it stands without a hover. Nothing drawn yet: an empty value.

// The newest non-null value of a series, or null.
export function newestValue(u, seriesIndex) {
  const data = u.data[seriesIndex] || [];
  for (let i = data.length - 1; i >= 0; --i) if (data[i] != null) return data[i];
  return null;
}

// format: number -> text; rest(u, seriesIndex): the value shown while the cursor is off the chart.
export function legendValue(format, rest = newestValue) {
  return (u, value, seriesIndex, index) => {
    const v = index != null ? value : rest(u, seriesIndex);
    if (v == null || (typeof v === 'number' && Number.isNaN(v))) return index != null ? '—' : '';
    return format(v);
  };
}
