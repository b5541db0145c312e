// The web app's entry (bundled by scripts/build.mjs into dist/dashboard/app.js and app.css):
// uPlot's stylesheet, ours, and the app rendered into #app.
import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { App } from './app';

render(<App />, document.getElementById('app')!);
