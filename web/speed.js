// speed.js - the speed control of the pages that animate, in the shield page's look: a slider
// of three positions (slow, normal, fast) beside the page's step and pause buttons. Each page
// gives the rates in its own unit (Infinity: as fast as the frame budget allows).
const NAMES = ['slow', 'normal', 'fast'];

// input: the range element (min 0, max 2), text: the element that names the rate. Returns a
// function giving the current rate.
export function speedControl(input, text, rates, unit, onChange) {
  const rate = () => rates[Math.min(2, Math.max(0, Math.round(Number(input.value))))];
  const show = () => {
    const r = rate();
    text.textContent = `${NAMES[Math.round(Number(input.value))]}, ${Number.isFinite(r) ? `${r} ${unit}` : 'full speed'}`;
  };
  input.addEventListener('input', () => { show(); if (onChange) onChange(); });
  show();
  return rate;
}

// The markup each page carries (its label names what moves):
//   <div class="control"><label for="speed">speed <span id="speed-text" class="mono"></span></label>
//   <input type="range" id="speed" min="0" max="2" step="1" value="1"></div>
