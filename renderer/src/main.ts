/**
 * The renderer's entry: the API client (whichever host serves the page), Pinia, the
 * component library's styles and ours, then the shell.
 */
import 'element-plus/dist/index.css';
import 'element-plus/theme-chalk/dark/css-vars.css';
import '@vue-flow/core/dist/style.css';
import '@vue-flow/core/dist/theme-default.css';
import '@vue-flow/controls/dist/style.css';
import './styles/theme.css';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import { connectWorkbench } from './api/index.ts';
import App from './App.vue';
import { setClient } from './composables/useClient.ts';

setClient(connectWorkbench());
createApp(App).use(createPinia()).mount('#app');
