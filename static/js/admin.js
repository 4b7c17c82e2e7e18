'use strict';
// The admin's small fixes, loaded on every admin page by templates/admin/base_site.html (the
// Content-Security-Policy allows no inline script): the folded second row of a compact
// inline (templates/admin/edit_inline/tabular_details.html).
{
    // A compact inline's second row follows its form's row: added with it, renumbered with it.
    const renumber = (element, prefix, index) => {
        const pattern = new RegExp('(' + prefix + '-(\\d+|__prefix__))', 'g');
        const replacement = prefix + '-' + index;
        for (const node of [element, ...element.querySelectorAll('*')]) {
            for (const name of ['id', 'name', 'for', 'aria-labelledby', 'aria-describedby']) {
                const value = node.getAttribute(name);
                if (value) {
                    node.setAttribute(name, value.replace(pattern, replacement));
                }
            }
        }
    };
    const formIndex = (row, prefix) => row.id.slice(prefix.length + 1);

    document.addEventListener('formset:added', (event) => {
        const prefix = event.detail.formsetName;
        const template = document.getElementById(prefix + '-empty-details');
        if (!template) {
            return;
        }
        const row = event.target;
        const details = template.cloneNode(true);
        details.classList.remove('empty-form');
        details.id = prefix + '-__prefix__-details';
        renumber(details, prefix, formIndex(row, prefix));
        row.after(details);
        const $ = window.django && window.django.jQuery;
        if ($ && $.fn.djangoAdminSelect2) {
            $(details).find('.admin-autocomplete').djangoAdminSelect2();
        }
        if ($ && typeof window.DateTimeShortcuts !== 'undefined') {
            // As inlines.js does for the first row: the copied calendar links are dead copies.
            $('.datetimeshortcuts').remove();
            window.DateTimeShortcuts.init();
        }
    });

    document.addEventListener('formset:removed', (event) => {
        const prefix = event.detail.formsetName;
        const group = document.getElementById(prefix + '-group');
        if (!group || !group.classList.contains('compact-inline')) {
            return;
        }
        for (const details of group.querySelectorAll('tr.form-details:not(.empty-form)')) {
            const row = details.previousElementSibling;
            if (!row || !row.classList.contains('form-row')) {
                details.remove(); // its form's row was removed
            }
        }
        // inlines.js renumbers the forms' rows after this event: follow them.
        setTimeout(() => {
            for (const details of group.querySelectorAll('tr.form-details:not(.empty-form)')) {
                renumber(details, prefix, formIndex(details.previousElementSibling, prefix));
            }
        });
    });
}
