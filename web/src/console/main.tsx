import { render } from 'preact';
import { interceptLinks } from '../shared/router.ts';
import '../styles/site.css';
import '../styles/console.css';
import { Console } from './app.tsx';

const root = document.getElementById('app')!;
interceptLinks(root, (path) => path === '/console' || path.startsWith('/console/'));
render(<Console />, root);
