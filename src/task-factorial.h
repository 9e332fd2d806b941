/*
 * The factorial task's engine, for daemon.c and asyncdemo.c, which
 * include this until they include factorial.h themselves (the task's
 * ops are in task.h).
 */
#ifndef TASK_FACTORIAL_H
#define TASK_FACTORIAL_H

#include "factorial.h"

#endif
