/* Device drivers (src/drivers/): found and started once at boot. */
#pragma once

/* Scan the buses the HAL reports (virtio-mmio slots, PCI) and start a
 * driver for each device that has one; list the others once. */
void drivers_init(void);
