/*
 * device.h: the device registry and lifecycle.
 *
 * A device model is one file with one state struct (its first member a Device),
 * one const DeviceClass, and DEVICE_CLASS_REGISTER(cls). Properties are declared
 * in a table so -device NAME,key=value, -device NAME,help and the board all set
 * them the same way. realize() claims ports/MMIO and IRQ lines; reset() returns
 * the device to its power-on state (system reset calls it on every device).
 */
#ifndef HW_DEVICE_H
#define HW_DEVICE_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/opts.h"

typedef struct Machine Machine;
typedef struct Device Device;
typedef struct Chardev Chardev;

typedef enum PropType {
    PROP_BOOL,
    PROP_U8,
    PROP_U16,
    PROP_U32,
    PROP_U64,
    PROP_SIZE,      /* u64 with K/M/G suffixes */
    PROP_STR,       /* char *, owned by the device */
    PROP_CHARDEV,   /* Chardev *, looked up by id among -chardev backends */
} PropType;

typedef struct Property {
    const char *name;
    PropType type;
    size_t offset;          /* within the device state struct */
    uint64_t def;           /* default for numbers and bools */
    const char *def_str;    /* default for strings */
    const char *desc;
} Property;

#define PROP_END { .name = NULL }

typedef struct DeviceClass {
    const char *name;
    const char *desc;
    const char *bus;        /* "isa", "sys" (board only), later "pci" */
    size_t instance_size;
    bool user_creatable;    /* may be given with -device */
    const Property *props;  /* terminated by PROP_END; may be NULL */
    bool (*realize)(Device *dev, Error **errp);
    void (*reset)(Device *dev);
    void (*unrealize)(Device *dev);
} DeviceClass;

struct Device {
    const DeviceClass *cls;
    char *id;
    Machine *machine;
    bool realized;
};

void device_class_register(const DeviceClass *cls);
#define DEVICE_CLASS_REGISTER(cls)                                   \
    static void __attribute__((constructor)) register_##cls(void)    \
    {                                                                \
        device_class_register(&cls);                                 \
    }

const DeviceClass *device_class_find(const char *name);
void device_list_help(FILE *f);          /* -device help */
void device_class_help(const DeviceClass *cls, FILE *f);  /* -device NAME,help */

/* Allocate with property defaults; not yet realized. */
Device *device_new(Machine *m, const char *type, Error **errp);
bool device_set_prop(Device *dev, const char *name, const char *value, Error **errp);
/* Apply every key of opts except "driver" and "id"; unknown keys are errors. */
bool device_set_props(Device *dev, Opts *opts, Error **errp);
/* Realize and add to the machine's device list (reset order = creation order). */
bool device_realize(Device *dev, Error **errp);
/* device_new + props + realize; frees on failure. */
Device *device_create(Machine *m, const char *type, Opts *opts, Error **errp);
void device_reset(Device *dev);
void device_destroy(Device *dev);

#endif
