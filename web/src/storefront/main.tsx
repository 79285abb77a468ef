import { hydrate, render } from 'preact';
import { interceptLinks } from '../shared/router.ts';
import '../styles/storefront.css';
import { App, handledHere } from './app.tsx';
import { setHydrating } from './hooks.ts';
import { INITIAL_DATA_ID, type InitialData } from './initial-data.ts';

const root = document.getElementById('app')!;
const block = document.getElementById(INITIAL_DATA_ID);
const initial = block ? (JSON.parse(block.textContent ?? '') as InitialData) : ({ page: 'app' } as const);
interceptLinks(root, handledHere);
// A page the server rendered is taken over as it is (what only this browser knows is drawn right
// after); the others are drawn here.
if (root.firstElementChild) {
  setHydrating(true);
  hydrate(<App initial={initial} />, root);
  setHydrating(false);
} else render(<App initial={initial} />, root);
