// Renderer entry: global styles, the page's logger, then the Svelte app.
import { mount } from 'svelte';
import { configureLog } from '../../shared/log';
import './app.css';
import App from './App.svelte';

// The page logs warnings and errors to the developer console only (no network, no storage).
configureLog((level, line) => {
  // eslint-disable-next-line no-console -- the page's one log sink is the developer console.
  (level === 'error' ? console.error : level === 'warn' ? console.warn : console.info)(line);
}, 'warn');

const target = document.getElementById('app');
if (target === null) throw new Error('missing #app');
mount(App, { target });
