/* The loader's URL checks and masks (config_url, config_mask_url: config.h). */
#ifndef CONFIG_URL_H_ASYNCDEMO
#define CONFIG_URL_H_ASYNCDEMO

#include <stdint.h>

int config_url_ok(const char *);
char *config_mask_bad_url(const char *);
char *config_url_secret(char *, uint8_t *);

#endif
