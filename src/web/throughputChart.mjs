// Throughput over time, drawn by uPlot from the samples the copy page keeps while it is open.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.mjs';
import { formatRate } from './format.mjs';

const HEIGHT = 220;
// Seconds between the time axis's ticks, as uPlot may choose them.
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

export function ThroughputChart({ samples }) {
  const box = useRef(null);
  const chart = useRef(null);
  const hasSamples = samples.length > 1;
  useEffect(() => {
    if (!hasSamples) return undefined;
    const width = () => Math.max(240, box.current.clientWidth);
    chart.current = new uPlot(
      {
        width: width(),
        height: HEIGHT,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
        series: [{}, { label: 'Throughput', stroke: '#0b5cad', width: 2, fill: 'rgba(11, 92, 173, 0.12)', value: (_u, v) => (v === null ? '—' : formatRate(v)) }],
        legend: { show: false },
        // Whole seconds and wall-clock times on the time axis; "0" where there is no rate.
        axes: [
          { space: 90, incrs: TIME_STEPS, values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleTimeString()) },
          { size: 90, values: (_u, ticks) => ticks.map((t) => (t > 0 ? formatRate(t) : '0')) },
        ],
      },
      toColumns(samples),
      box.current,
    );
    const resized = new ResizeObserver(() => chart.current?.setSize({ width: width(), height: HEIGHT }));
    resized.observe(box.current);
    return () => {
      resized.disconnect();
      chart.current.destroy();
      chart.current = null;
    };
  }, [hasSamples]);
  useEffect(() => {
    if (hasSamples && chart.current) chart.current.setData(toColumns(samples));
  }, [samples]);
  const last = samples[samples.length - 1];
  const peak = samples.reduce((max, s) => Math.max(max, s.rate), 0);
  return html`<figure class="chart">
    <div ref=${box} class="chart-box" role="img" aria-label=${hasSamples ? `Throughput over the last ${samples.length} samples: now ${formatRate(last.rate)}, peak ${formatRate(peak)}` : 'No throughput samples yet'}></div>
    <figcaption>${hasSamples ? `Now ${formatRate(last.rate)}, peak ${formatRate(peak)}, over the ${samples.length} samples taken while this page was open.` : 'The chart draws the throughput sampled while this page is open and the copy runs.'}</figcaption>
  </figure>`;
}

const toColumns = (samples) => [samples.map((s) => s.at), samples.map((s) => s.rate)];
