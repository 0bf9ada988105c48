// Renderer entry: mounts the Svelte app.
import { mount } from 'svelte';
import App from './App.svelte';

const target = document.getElementById('app');
if (target === null) throw new Error('missing #app');
mount(App, { target });
