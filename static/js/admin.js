'use strict';
// The admin's small fixes, loaded on every admin page by templates/admin/base_site.html (the
// Content-Security-Policy allows no inline script): names for select2's boxes, and the folded
// second row of a compact inline (templates/admin/edit_inline/tabular_details.html).
{
    // select2 (autocomplete_fields) draws its own combobox and search box with no name of their
    // own: name them after the select they stand for, whenever one appears.
    const labelledBy = (element, label) => {
        if (!label.id) {
            label.id = label.htmlFor + '-label';
        }
        const ids = (element.getAttribute('aria-labelledby') || element.id || '').split(' ');
        if (!ids.includes(label.id)) {
            element.setAttribute('aria-labelledby', [label.id, ...ids].join(' ').trim());
        }
    };
    const labelSelect2 = () => {
        for (const select of document.querySelectorAll('select.admin-autocomplete')) {
            const container = select.nextElementSibling;
            const label = select.labels && select.labels[0];
            if (!label || !container || !container.classList.contains('select2-container')) {
                continue;
            }
            for (const element of container.querySelectorAll('[role=combobox], [role=textbox]')) {
                labelledBy(element, label);
            }
            // ARIA 1.2 names the list a combobox opens with aria-controls; select2 uses aria-owns.
            for (const combobox of container.querySelectorAll('[role=combobox]')) {
                combobox.setAttribute('aria-controls', 'select2-' + select.id + '-results');
            }
            // The "remove all" cross, a <span> in the list of choices, is for the mouse only
            // (Backspace does the same); hidden from assistive technology it leaves the list valid.
            for (const clear of container.querySelectorAll('.select2-selection__clear')) {
                clear.setAttribute('aria-hidden', 'true');
            }
        }
        labelSearchBoxes();
    };
    const labelSearchBoxes = () => {
        for (const search of document.querySelectorAll('.select2-search__field:not([aria-label])')) {
            const container = search.closest('.select2-container');
            let select = container && container.previousElementSibling;
            if (!select || select.tagName !== 'SELECT') {
                // The dropdown's box, drawn in <body>: aria-controls names the select's results.
                const controls = search.getAttribute('aria-controls') || '';
                select = document.getElementById(controls.replace(/^select2-/, '').replace(/-results$/, ''));
            }
            const label = select && select.labels && select.labels[0];
            if (label) {
                search.setAttribute('aria-label', 'Search ' + label.textContent.replace(/:\s*$/, '').trim());
            }
        }
    };
    new MutationObserver(labelSelect2).observe(document.documentElement, {childList: true, subtree: true});
    document.addEventListener('DOMContentLoaded', labelSelect2);

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
