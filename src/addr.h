/* ADDR:PORT arguments, as --serve and --status take them. */
#ifndef ADDR_H
#define ADDR_H

int addr_parse(const char *, char **, unsigned short *, char **);

#endif
