/* Paging: 4 KiB pages and 4 MiB (PSE) pages, demand mapping from a #PF handler, CR0.WP, and the
   accessed and dirty bits the CPU sets. */
#include "runtime.h"

#define P 0x001
#define RW 0x002
#define ACCESSED 0x020
#define DIRTY 0x040
#define PS 0x080
#define MiB (1024 * 1024)
#define POOL (20 * MiB) /* frames the handler hands out, identity-mapped by a 4 MiB page */

static uint32_t page_directory[1024] ALIGNED(4096);
static uint32_t low_table[1024] ALIGNED(4096);    /* 0-4 MiB, 4 KiB pages */
static uint32_t demand_table[1024] ALIGNED(4096); /* 8-12 MiB, nothing present */
static uint32_t spare_table[1024] ALIGNED(4096);  /* for a fault where even the PDE is missing */
static volatile uint32_t read_only_page[1024] ALIGNED(4096);

static uint32_t next_frame = POOL;
static int faults;

static void invlpg(uint32_t address) { __asm__ volatile("invlpg (%0)" : : "r"(address) : "memory"); }

static uint32_t *pte_for(uint32_t va)
{
    uint32_t pde = page_directory[va >> 22];
    if (!(pde & P) || (pde & PS))
        return 0;
    return (uint32_t *)(pde & ~0xfffu) + ((va >> 12) & 0x3ff);
}

static void page_fault(struct trap_frame *f)
{
    uint32_t cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    faults++;
    printf("#PF %d: CR2=%x error=%x eip-in-main=%u\n", faults, cr2, f->error, f->eip >= 0x100000 && f->eip < 0x200000);
    if (faults > 8) {
        printf("FAIL runaway page faults\n");
        exit(0x7d);
    }
    if (f->error & P) { /* a protection fault: the read-only page written with CR0.WP */
        uint32_t *pte = pte_for(cr2);
        if (!pte || (cr2 & ~0xfffu) != (uint32_t)read_only_page) {
            printf("FAIL unexpected protection fault\n");
            exit(0x7d);
        }
        *pte |= RW;
        invlpg(cr2);
        printf("    made %x writable\n", cr2 & ~0xfffu);
        return;
    }
    if (!(page_directory[cr2 >> 22] & P)) {
        memset(spare_table, 0, sizeof spare_table);
        page_directory[cr2 >> 22] = (uint32_t)spare_table | P | RW;
        printf("    new page table for %x\n", cr2 & ~0x3fffffu);
    }
    uint32_t frame = next_frame;
    next_frame += 4096;
    memset((void *)frame, 0, 4096); /* through the pool's identity mapping */
    *pte_for(cr2) = frame | P | RW;
    invlpg(cr2);
    printf("    mapped %x -> frame %x\n", cr2 & ~0xfffu, frame);
}

int main(void)
{
    for (uint32_t i = 0; i < 1024; i++)
        low_table[i] = i * 4096 | P | RW;
    low_table[(uint32_t)read_only_page >> 12] &= ~RW;
    page_directory[0] = (uint32_t)low_table | P | RW;
    page_directory[1] = 4 * MiB | PS | P | RW; /* identity, one 4 MiB page */
    page_directory[2] = (uint32_t)demand_table | P | RW;
    page_directory[3] = 4 * MiB | PS | P | RW; /* 12-16 MiB: an alias of 4-8 MiB */
    page_directory[POOL >> 22] = POOL | PS | P | RW;
    trap_install(14, page_fault, 0);

    __asm__ volatile("mov %%cr4, %%eax; or $0x10, %%eax; mov %%eax, %%cr4" : : : "eax"); /* PSE */
    __asm__ volatile("mov %0, %%cr3" : : "r"(page_directory));
    __asm__ volatile("mov %%cr0, %%eax; or $0x80010000, %%eax; mov %%eax, %%cr0" : : : "eax"); /* PG, WP */
    printf("paging on\n");

    volatile uint32_t *low = (uint32_t *)(5 * MiB), *alias = (uint32_t *)(13 * MiB);
    *low = 0x12345678;
    printf("wrote %x at %x, read %x at alias %x\n", *low, (uint32_t)low, *alias, (uint32_t)alias);
    check(*alias == 0x12345678, "a 4 MiB page and its alias reach the same memory");
    alias[1] = 0x9abcdef0;
    check(low[1] == 0x9abcdef0, "and writes through the alias land there too");

    volatile uint32_t *demand = (uint32_t *)(8 * MiB);
    uint32_t first = demand[0];                       /* read of a missing page: error 0 */
    demand[0x1004 / 4] = 0xcafe;                      /* write of a missing page: error 2 */
    uint32_t second = demand[0x1004 / 4];             /* mapped now: no fault */
    volatile uint32_t *far = (uint32_t *)(16 * MiB + 8);
    *far = 0xf00d;                                    /* no page table at all */
    printf("demand read %x, wrote and read back %x, far %x\n", first, second, *far);
    check(first == 0 && second == 0xcafe && *far == 0xf00d, "demand-mapped pages read zero and keep writes");
    check(*(volatile uint32_t *)(POOL + 0x1004) == 0xcafe, "the write landed in the second frame of the pool");
    check(faults == 3, "three faults so far");

    uint32_t before = read_only_page[0];
    read_only_page[0] = 0x77;                         /* write-protect fault: error 3 */
    printf("read-only page read %x, then wrote %x after the fault\n", before, read_only_page[0]);
    check(faults == 4 && read_only_page[0] == 0x77, "CR0.WP stops a supervisor write to a read-only page");

    uint32_t read_pte = *pte_for(8 * MiB), write_pte = *pte_for(8 * MiB + 0x1000);
    printf("PTE flags: read page %x, written page %x; PDE 2 flags %x\n", read_pte & 0xfff, write_pte & 0xfff,
           page_directory[2] & 0xfff);
    check((read_pte & (ACCESSED | DIRTY)) == ACCESSED, "a page only read is accessed, not dirty");
    check((write_pte & (ACCESSED | DIRTY)) == (ACCESSED | DIRTY), "a written page is accessed and dirty");
    check(page_directory[2] & ACCESSED, "the page directory entry is accessed");
    check((page_directory[1] & (ACCESSED | DIRTY)) == (ACCESSED | DIRTY), "a written 4 MiB page is dirty");
    return finish();
}
