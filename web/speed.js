// speed.js - the speed control of the pages that animate, in the shield page's look: a slider
// of three positions (slow, normal, fast) beside the page's step and pause buttons. Each page
// gives the rates in its own unit (Infinity: as fast as the frame budget allows). The position
// lives in the URL as speed=0|1|2, as on the shield page, so a link opens at the same speed.
const NAMES = ['slow', 'normal', 'fast'];

// input: the range element (min 0, max 2), text: the element that names the rate, report: the
// page's message for a bad URL value (the default is kept). Returns a function giving the
// current rate.
export function speedControl(input, text, rates, unit, report) {
  const q = new URLSearchParams(location.search);
  if (q.has('speed')) {
    const raw = q.get('speed');
    if (/^[0-2]$/.test(raw)) input.value = raw;
    else report(`speed in the URL: "${raw}" is not 0 (slow), 1 (normal) or 2 (fast); using ${input.value} (${NAMES[Number(input.value)]})`);
  }
  const rate = () => rates[Math.min(2, Math.max(0, Math.round(Number(input.value))))];
  const show = () => {
    const r = rate();
    text.textContent = `${NAMES[Math.round(Number(input.value))]}, ${Number.isFinite(r) ? `${r} ${unit}` : 'full speed'}`;
  };
  input.addEventListener('input', () => {
    show();
    const url = new URL(location.href); // the page's own URL writer keeps it too (speedParam)
    url.searchParams.set('speed', input.value);
    history.replaceState(history.state, '', url);
  });
  show();
  return rate;
}

// The value the pages put into their URL: speed=<this>.
export const speedParam = (input) => String(Math.min(2, Math.max(0, Math.round(Number(input.value)))));

// The markup each page carries (its label names what moves):
//   <div class="control"><label for="speed">speed <span id="speed-text" class="mono"></span></label>
//   <input type="range" id="speed" min="0" max="2" step="1" value="1"></div>
