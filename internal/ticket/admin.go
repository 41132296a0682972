package ticket

import (
	"context"
	"regexp"
	"slices"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// Statuses lists the statuses in workflow order.
func (s *Service) Statuses(ctx context.Context) ([]Status, error) {
	if _, err := actor(ctx, auth.TicketsRead); err != nil {
		return nil, err
	}
	st, _, err := s.definitions(ctx)
	return st, err
}

// StatusesPage returns a page of statuses in workflow order (see
// Store.StatusesPage).
func (s *Service) StatusesPage(ctx context.Context, p desk.Page) ([]Status, error) {
	if _, err := actor(ctx, auth.TicketsRead); err != nil {
		return nil, err
	}
	return s.store.StatusesPage(ctx, p)
}

// FieldsPage returns a page of custom field definitions in id order.
func (s *Service) FieldsPage(ctx context.Context, p desk.Page) ([]Field, error) {
	if _, err := actor(ctx, auth.FieldsRead); err != nil {
		return nil, err
	}
	return s.store.FieldsPage(ctx, p)
}

// TagsPage returns a page of the tag catalog in name order.
func (s *Service) TagsPage(ctx context.Context, p desk.Page) ([]string, error) {
	if _, err := actor(ctx, auth.TagsRead); err != nil {
		return nil, err
	}
	return s.store.TagsPage(ctx, p)
}

var statusNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// CreateStatus adds a status inside one of the fixed categories.
func (s *Service) CreateStatus(ctx context.Context, st Status) (*Status, error) {
	if _, err := actor(ctx, auth.StatusesWrite); err != nil {
		return nil, err
	}
	errs := desk.Fields{}
	if !statusNameRE.MatchString(st.Name) {
		errs["name"] = desk.M("invalid.snake_name")
	}
	if !slices.Contains(Categories, st.Category) || st.Category == CategoryNew {
		errs["category"] = desk.M("invalid.category")
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	st.Builtin = false
	err := s.store.InTx(ctx, func(tx Tx) error { return tx.InsertStatus(ctx, st) })
	if err != nil {
		return nil, err
	}
	s.forgetDefinitions()
	return &st, nil
}

// Fields lists the custom field definitions.
func (s *Service) Fields(ctx context.Context) ([]Field, error) {
	if _, err := actor(ctx, auth.FieldsRead); err != nil {
		return nil, err
	}
	_, fs, err := s.definitions(ctx)
	return fs, err
}

// Field returns one custom field definition.
func (s *Service) Field(ctx context.Context, id int64) (*Field, error) {
	fs, err := s.Fields(ctx)
	if err != nil {
		return nil, err
	}
	for i := range fs {
		if fs[i].ID == id {
			return &fs[i], nil
		}
	}
	return nil, desk.E(desk.ENOTFOUND, "error.field_not_found", id)
}

// CreateField defines a custom field.
func (s *Service) CreateField(ctx context.Context, f Field) (*Field, error) {
	if _, err := actor(ctx, auth.FieldsWrite); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	f.CreatedAt, f.UpdatedAt = now, now
	if err := s.store.InTx(ctx, func(tx Tx) error { return tx.InsertField(ctx, &f) }); err != nil {
		return nil, err
	}
	s.forgetDefinitions()
	return &f, nil
}

// UpdateField changes a custom field's label, options, required flag or
// position; its key and kind are fixed once tickets may hold values.
// ifVersion, when not 0, is the version the change applies to (else ESTALE).
func (s *Service) UpdateField(ctx context.Context, id, ifVersion int64, fn func(f *Field)) (*Field, error) {
	if _, err := actor(ctx, auth.FieldsWrite); err != nil {
		return nil, err
	}
	var f *Field
	err := desk.Optimistic(ifVersion, func() error {
		// Read from the store, not the cache: the version must be the latest.
		fs, err := s.store.Fields(ctx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(fs, func(f Field) bool { return f.ID == id })
		if i < 0 {
			return desk.E(desk.ENOTFOUND, "error.field_not_found", id)
		}
		f = &fs[i]
		if err := desk.CheckVersion(ifVersion, f.Version); err != nil {
			return err
		}
		key, kind := f.Key, f.Kind
		fn(f)
		if f.Key != key || f.Kind != kind {
			return desk.Invalid(desk.Fields{"key": desk.M("invalid.key_kind_fixed")})
		}
		if err := f.Validate(); err != nil {
			return err
		}
		f.UpdatedAt = s.clock.Now()
		return s.store.InTx(ctx, func(tx Tx) error { return tx.UpdateField(ctx, f) })
	})
	if err != nil {
		return nil, err
	}
	s.forgetDefinitions()
	return f, nil
}

// DeleteField removes a custom field definition; values already stored on
// tickets stay in their history.
func (s *Service) DeleteField(ctx context.Context, id, ifVersion int64) error {
	if _, err := actor(ctx, auth.FieldsWrite); err != nil {
		return err
	}
	if err := s.store.InTx(ctx, func(tx Tx) error { return tx.DeleteField(ctx, id, ifVersion) }); err != nil {
		return err
	}
	s.forgetDefinitions()
	return nil
}

// Tags lists the tags in use.
func (s *Service) Tags(ctx context.Context) ([]string, error) {
	if _, err := actor(ctx, auth.TagsRead); err != nil {
		return nil, err
	}
	return s.store.Tags(ctx)
}

// CreateTag adds a tag to the catalog that agents pick from.
func (s *Service) CreateTag(ctx context.Context, name string) (string, error) {
	if _, err := actor(ctx, auth.TagsWrite); err != nil {
		return "", err
	}
	tags, msg := CleanTags([]string{name})
	if msg.Key != "" || len(tags) != 1 {
		return "", desk.Invalid(desk.Fields{"name": desk.M("invalid.tag_name")})
	}
	err := s.store.InTx(ctx, func(tx Tx) error { return tx.EnsureTags(ctx, tags, s.clock.Now()) })
	return tags[0], err
}

// DeleteTag removes a tag from the catalog and from every ticket's filter
// rows; tickets keep the tag in their history.
func (s *Service) DeleteTag(ctx context.Context, name string) error {
	if _, err := actor(ctx, auth.TagsWrite); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx Tx) error { return tx.DeleteTag(ctx, name) })
}

// PortalFormFields lists the custom fields the customer portal's
// new-ticket form shows, to any signed-in actor (a customer holds no
// fields:read).
func (s *Service) PortalFormFields(ctx context.Context) ([]Field, error) {
	if _, err := actor(ctx, auth.TicketsCreate); err != nil {
		return nil, err
	}
	_, fs, err := s.definitions(ctx)
	if err != nil {
		return nil, err
	}
	return PortalFields(fs), nil
}
