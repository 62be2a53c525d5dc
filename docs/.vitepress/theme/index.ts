/** The default VitePress theme plus the site's own CSS (wide result tables, see custom.css). */
import DefaultTheme from 'vitepress/theme';
import './custom.css';

export default DefaultTheme;
