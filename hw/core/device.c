/*
 * device.c: device classes, properties and lifecycle (include/hw/device.h).
 * The class list is static type information filled by constructors at start;
 * device instances hang off their Machine.
 */
#include "util/osdep.h"
#include "hw/device.h"
#include "system/machine.h"
#include "chardev/char.h"

static GPtrArray *device_classes;

void device_class_register(const DeviceClass *cls)
{
    if (!device_classes) {
        device_classes = g_ptr_array_new();
    }
    g_ptr_array_add(device_classes, (gpointer)cls);
}

const DeviceClass *device_class_find(const char *name)
{
    if (!device_classes) {
        return NULL;
    }
    for (guint i = 0; i < device_classes->len; i++) {
        const DeviceClass *c = g_ptr_array_index(device_classes, i);
        if (!strcmp(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

static gint cmp_class(gconstpointer a, gconstpointer b)
{
    const DeviceClass *x = *(const DeviceClass **)a, *y = *(const DeviceClass **)b;
    return strcmp(x->name, y->name);
}

void device_list_help(FILE *f)
{
    fprintf(f, "Devices that -device can create:\n");
    if (!device_classes) {
        return;
    }
    g_ptr_array_sort(device_classes, cmp_class);
    for (guint i = 0; i < device_classes->len; i++) {
        const DeviceClass *c = g_ptr_array_index(device_classes, i);
        if (c->user_creatable) {
            fprintf(f, "name \"%s\", bus %s, desc \"%s\"\n", c->name,
                    c->bus ? c->bus : "sys", c->desc ? c->desc : "");
        }
    }
}

static const char *prop_type_name(PropType t)
{
    switch (t) {
    case PROP_BOOL: return "bool";
    case PROP_U8: return "uint8";
    case PROP_U16: return "uint16";
    case PROP_U32: return "uint32";
    case PROP_U64: return "uint64";
    case PROP_SIZE: return "size";
    case PROP_STR: return "str";
    case PROP_CHARDEV: return "chardev";
    }
    return "?";
}

void device_class_help(const DeviceClass *cls, FILE *f)
{
    fprintf(f, "%s options:\n", cls->name);
    for (const Property *p = cls->props; p && p->name; p++) {
        fprintf(f, "  %-16s <%s>", p->name, prop_type_name(p->type));
        if (p->desc) {
            fprintf(f, "  - %s", p->desc);
        }
        if (p->type == PROP_BOOL) {
            fprintf(f, " (default: %s)", p->def ? "on" : "off");
        } else if (p->type == PROP_STR || p->type == PROP_CHARDEV) {
            if (p->def_str) {
                fprintf(f, " (default: %s)", p->def_str);
            }
        } else {
            fprintf(f, " (default: 0x%" PRIx64 ")", p->def);
        }
        fputc('\n', f);
    }
}

static void *prop_ptr(Device *dev, const Property *p)
{
    return (char *)dev + p->offset;
}

static void prop_set_default(Device *dev, const Property *p)
{
    void *ptr = prop_ptr(dev, p);
    switch (p->type) {
    case PROP_BOOL: *(bool *)ptr = p->def; break;
    case PROP_U8: *(uint8_t *)ptr = p->def; break;
    case PROP_U16: *(uint16_t *)ptr = p->def; break;
    case PROP_U32: *(uint32_t *)ptr = p->def; break;
    case PROP_U64:
    case PROP_SIZE: *(uint64_t *)ptr = p->def; break;
    case PROP_STR: *(char **)ptr = g_strdup(p->def_str); break;
    case PROP_CHARDEV: *(Chardev **)ptr = NULL; break;
    }
}

Device *device_new(Machine *m, const char *type, Error **errp)
{
    const DeviceClass *cls = device_class_find(type);
    if (!cls) {
        error_setg(errp, "-device %s: no such device (try -device help)", type);
        return NULL;
    }
    g_assert(cls->instance_size >= sizeof(Device));
    Device *dev = g_malloc0(cls->instance_size);
    dev->cls = cls;
    dev->machine = m;
    for (const Property *p = cls->props; p && p->name; p++) {
        prop_set_default(dev, p);
    }
    return dev;
}

bool device_set_prop(Device *dev, const char *name, const char *value, Error **errp)
{
    const Property *p = NULL;
    for (const Property *q = dev->cls->props; q && q->name; q++) {
        if (!strcmp(q->name, name)) {
            p = q;
            break;
        }
    }
    if (!p) {
        error_setg(errp, "-device %s: unknown property '%s' (try -device %s,help)",
                   dev->cls->name, name, dev->cls->name);
        return false;
    }
    void *ptr = prop_ptr(dev, p);
    uint64_t v = 0;
    uint64_t max = 0;
    switch (p->type) {
    case PROP_BOOL:
        if (!parse_bool(value, (bool *)ptr)) {
            error_setg(errp, "-device %s: %s=%s: expected on or off", dev->cls->name,
                       name, value);
            return false;
        }
        return true;
    case PROP_STR:
        g_free(*(char **)ptr);
        *(char **)ptr = g_strdup(value);
        return true;
    case PROP_CHARDEV: {
        Chardev *chr = machine_find_chardev(dev->machine, value);
        if (!chr) {
            error_setg(errp, "-device %s: %s=%s: no chardev with that id", dev->cls->name,
                       name, value);
            return false;
        }
        *(Chardev **)ptr = chr;
        return true;
    }
    case PROP_SIZE:
        if (!parse_size(value, 1, &v)) {
            error_setg(errp, "-device %s: %s=%s: expected a size", dev->cls->name, name,
                       value);
            return false;
        }
        *(uint64_t *)ptr = v;
        return true;
    case PROP_U8: max = UINT8_MAX; break;
    case PROP_U16: max = UINT16_MAX; break;
    case PROP_U32: max = UINT32_MAX; break;
    case PROP_U64: max = UINT64_MAX; break;
    }
    if (!parse_u64(value, &v) || v > max) {
        error_setg(errp, "-device %s: %s=%s: expected a number up to 0x%" PRIx64,
                   dev->cls->name, name, value, max);
        return false;
    }
    switch (p->type) {
    case PROP_U8: *(uint8_t *)ptr = v; break;
    case PROP_U16: *(uint16_t *)ptr = v; break;
    case PROP_U32: *(uint32_t *)ptr = v; break;
    default: *(uint64_t *)ptr = v; break;
    }
    return true;
}

bool device_set_props(Device *dev, Opts *opts, Error **errp)
{
    if (!opts) {
        return true;
    }
    for (guint i = 0; i < opts->items->len; i++) {
        OptItem *it = &g_array_index(opts->items, OptItem, i);
        if (!strcmp(it->key, "driver")) {
            continue;
        }
        if (!strcmp(it->key, "id")) {
            g_free(dev->id);
            dev->id = g_strdup(it->value);
            continue;
        }
        if (!device_set_prop(dev, it->key, it->value, errp)) {
            return false;
        }
    }
    return true;
}

bool device_realize(Device *dev, Error **errp)
{
    if (dev->cls->realize && !dev->cls->realize(dev, errp)) {
        return false;
    }
    dev->realized = true;
    g_ptr_array_add(dev->machine->devices, dev);
    return true;
}

Device *device_create(Machine *m, const char *type, Opts *opts, Error **errp)
{
    Device *dev = device_new(m, type, errp);
    if (!dev) {
        return NULL;
    }
    if (!device_set_props(dev, opts, errp) || !device_realize(dev, errp)) {
        device_destroy(dev);
        return NULL;
    }
    return dev;
}

void device_reset(Device *dev)
{
    if (dev->cls->reset) {
        dev->cls->reset(dev);
    }
}

void device_destroy(Device *dev)
{
    if (!dev) {
        return;
    }
    if (dev->realized) {
        if (dev->cls->unrealize) {
            dev->cls->unrealize(dev);
        }
        if (dev->machine && dev->machine->devices) {
            g_ptr_array_remove(dev->machine->devices, dev);
        }
    }
    for (const Property *p = dev->cls->props; p && p->name; p++) {
        if (p->type == PROP_STR) {
            g_free(*(char **)prop_ptr(dev, p));
        }
    }
    g_free(dev->id);
    g_free(dev);
}
