export { type GpuPowerQuery, nvidiaSmiPower, parseNvidiaSmiPower } from './gpu.js';
export {
  EnergyMeter,
  type EnergyMeterOptions,
  type EnergyReport,
  type EnergyValue,
  formatEnergyReport,
} from './meter.js';
export { DEFAULT_POWERCAP_ROOT } from './rapl.js';
